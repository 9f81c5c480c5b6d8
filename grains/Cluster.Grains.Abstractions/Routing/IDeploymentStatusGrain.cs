namespace Cluster.Grains.Routing;

/// <summary>
/// The one authority on a deployment's health (key: deployment id): silos report what they saw
/// (about once a second, and at once on a failure) and get back the circuit state and the
/// cluster-wide in-flight count, so every silo routes on the same view.
/// </summary>
[Alias("Cluster.IDeploymentStatusGrain")]
public interface IDeploymentStatusGrain : IGrainWithStringKey
{
    [Alias("Report")]
    Task<DeploymentStatus> ReportAsync(DeploymentReport report, CircuitPolicy policy);

    /// <summary>In the half-open state, true for exactly one caller: the one that may send the probe request.</summary>
    [Alias("TryProbe")]
    Task<bool> TryProbeAsync();

    [Alias("Get")]
    Task<DeploymentStatus> GetAsync();
}
