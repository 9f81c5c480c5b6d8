using Cluster.Grains.Models;
using Cluster.Hosting.Configuration;
using Microsoft.Extensions.Options;

namespace Cluster.Hosting;

/// <summary>At silo start, hands the configured catalog to the registry, which applies it when it changed.</summary>
internal sealed class CatalogSeeder(IGrainFactory grains, IOptions<CatalogOptions> options) : IStartupTask
{
    public Task Execute(CancellationToken cancellationToken)
    {
        var models = options.Value.ToDefinitions();
        return grains.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key)
            .ApplyConfigurationAsync(models, CatalogOptions.HashOf(models));
    }
}
