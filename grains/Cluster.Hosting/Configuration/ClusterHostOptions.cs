namespace Cluster.Hosting.Configuration;

/// <summary>The <c>Cluster</c> section: how this process takes part in the Orleans cluster.</summary>
public sealed class ClusterHostOptions
{
    public const string SectionName = "Cluster";

    /// <summary>For the api: <c>CoHosted</c> (a silo in the same process, the default) or <c>Client</c>.</summary>
    public string Mode { get; set; } = "CoHosted";

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


    public bool IsClient => string.Equals(Mode, "Client", StringComparison.OrdinalIgnoreCase);
}
