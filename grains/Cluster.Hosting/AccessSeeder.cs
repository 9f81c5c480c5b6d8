using Cluster.Grains.Access;
using Cluster.Hosting.Configuration;
using Cluster.Relay.Cluster;
using Microsoft.Extensions.Options;

namespace Cluster.Hosting;

/// <summary>At silo start, hands the configured tenants and keys to the access directory.</summary>
internal sealed class AccessSeeder(IGrainFactory grains, IOptions<AccessOptions> options) : IStartupTask
{
    public Task Execute(CancellationToken cancellationToken)
    {
        var (tenants, keys, hash) = options.Value.ToDefinitions();
        var directory = grains.GetGrain<IAccessDirectoryGrain>(IAccessDirectoryGrain.Key);
        return ClusterCalls.RetryAsync(() => directory.ApplyConfigurationAsync(tenants, keys, hash), CatalogSeeder.SeedWindow, TimeProvider.System, cancellationToken);
    }
}
