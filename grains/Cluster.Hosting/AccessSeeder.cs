using Cluster.Grains.Access;
using Cluster.Hosting.Configuration;
using Microsoft.Extensions.Options;

namespace Cluster.Hosting;

/// <summary>At silo start, hands the configured tenants and keys to the access directory.</summary>
internal sealed class AccessSeeder(IGrainFactory grains, IOptions<AccessOptions> options) : IStartupTask
{
    public Task Execute(CancellationToken cancellationToken)
    {
        var (tenants, keys, hash) = options.Value.ToDefinitions();
        return grains.GetGrain<IAccessDirectoryGrain>(IAccessDirectoryGrain.Key).ApplyConfigurationAsync(tenants, keys, hash);
    }
}
