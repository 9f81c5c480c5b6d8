using Cluster.Grains.Models;
using Cluster.Hosting.Configuration;
using Cluster.Relay.Cluster;
using Microsoft.Extensions.Options;

namespace Cluster.Hosting;

/// <summary>At silo start, hands the configured catalog to the registry, which applies it when it changed (resent while the cluster is unreachable).</summary>
internal sealed class CatalogSeeder(IGrainFactory grains, IOptions<CatalogOptions> options) : IStartupTask
{
    /// <summary>
    /// How long a seeding call is resent while the cluster is still forming or the machine is busy
    /// (one call can outlast the 5 s response timeout then); a silo that cannot seed by then fails to start.
    /// </summary>
    public static readonly TimeSpan SeedWindow = TimeSpan.FromMinutes(1);

    public Task Execute(CancellationToken cancellationToken)
    {
        var models = options.Value.ToDefinitions();
        var registry = grains.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key);
        return ClusterCalls.RetryAsync(() => registry.ApplyConfigurationAsync(models, CatalogOptions.HashOf(models)), SeedWindow, TimeProvider.System, cancellationToken);
    }
}
