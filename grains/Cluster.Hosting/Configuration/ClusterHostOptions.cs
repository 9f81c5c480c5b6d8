namespace Cluster.Hosting.Configuration;

/// <summary>The <c>Cluster</c> section: how this process takes part in the Orleans cluster.</summary>
public sealed class ClusterHostOptions
{
    public const string SectionName = "Cluster";

    public const int DefaultDrainTimeoutSeconds = 30;

    /// <summary>For the api: <c>CoHosted</c> (a silo in the same process, the default) or <c>Client</c>.</summary>
    public ClusterMode Mode { get; set; } = ClusterMode.CoHosted;

    public int SiloPort { get; set; } = 11111;

    public int GatewayPort { get; set; } = 30000;

    /// <summary>With <c>Localhost</c> clustering: the silo port of the primary silo the others join.</summary>
    public int PrimarySiloPort { get; set; } = 11111;

    /// <summary>With <c>Localhost</c> clustering, a client's gateway ports; defaults to <see cref="GatewayPort"/>.</summary>
    public List<int> Gateways { get; set; } = [];

    public string ServiceId { get; set; } = "completion-cluster";

    public string ClusterId { get; set; } = "local";

    /// <summary>The address other silos reach this one at.</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// How long a process may take to stop after SIGTERM: readiness turns 503 at once, then
    /// requests in flight (streams included) finish, a silo deactivates its grains and leaves the
    /// membership; whatever is left when this runs out is cut. Sets the host's shutdown timeout.
    /// </summary>
    public int DrainTimeoutSeconds { get; set; } = DefaultDrainTimeoutSeconds;

    /// <summary><see cref="DrainTimeoutSeconds"/> as a duration.</summary>
    public TimeSpan DrainTimeout => TimeSpan.FromSeconds(DrainTimeoutSeconds);

    /// <summary>
    /// For a silo in Kubernetes: Orleans' Kubernetes hosting takes the silo's name from the pod
    /// (<c>POD_NAME</c>, <c>POD_NAMESPACE</c>, <c>POD_IP</c>), and silos whose pods are gone are
    /// declared dead in the membership at once. Needs the RBAC of <c>deploy/k8s</c>. Off elsewhere.
    /// </summary>
    public bool Kubernetes { get; set; }

    public bool IsClient => Mode == ClusterMode.Client;
}
