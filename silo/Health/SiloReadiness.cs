using Cluster.Grains;
using Cluster.Hosting.Drain;
using Orleans.Runtime;
using Orleans.Storage;

namespace Cluster.Silo.Health;

/// <summary>
/// Whether this silo can take work: it is not stopping, it is an active member of the cluster,
/// and the membership table and the grain storage both answer (one read each, of this silo's
/// membership row and of a grain state that is never written).
/// </summary>
internal sealed class SiloReadiness(
    IHostApplicationLifetime lifetime,
    ISiloStatusOracle status,
    IMembershipTable membership,
    [FromKeyedServices(GrainStorage.Name)] IGrainStorage storage)
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(2);
    private static readonly GrainId ProbeGrain = GrainId.Create("health", "readiness-probe");

    public async Task<SiloHealthStatus> CheckAsync(CancellationToken cancellationToken)
    {
        var silo = status.SiloAddress.ToParsableString();
        if (lifetime.IsDraining())
        {
            return new SiloHealthStatus("unavailable", silo, "stopping");
        }

        if (status.CurrentStatus != SiloStatus.Active)
        {
            return new SiloHealthStatus("unavailable", silo, $"silo status {status.CurrentStatus}");
        }

        try
        {
            await membership.ReadRowAsync(status.SiloAddress, cancellationToken).WaitAsync(CheckTimeout, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return new SiloHealthStatus("unavailable", silo, $"membership table: {ex.GetType().Name}");
        }

        try
        {
            await storage.ReadStateAsync("readiness", ProbeGrain, new GrainState<Dictionary<string, string>>()).WaitAsync(CheckTimeout, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return new SiloHealthStatus("unavailable", silo, $"grain storage: {ex.GetType().Name}");
        }

        // The shutdown may have begun while the checks ran.
        return lifetime.IsDraining() ? new SiloHealthStatus("unavailable", silo, "stopping") : new SiloHealthStatus("ready", silo, null);
    }
}
