namespace Cluster.Grains.Models;

/// <summary>
/// The catalog of models, aliases and deployments, one per cluster (key <see cref="Key"/>),
/// persisted in grain storage. Front-ends and model grains read it through
/// the front-ends' catalog view, which caches it and polls <see cref="GetVersionAsync"/>.
/// </summary>
[Alias("Cluster.IModelRegistryGrain")]
public interface IModelRegistryGrain : IGrainWithStringKey
{
    public const string Key = "catalog";

    /// <summary>The whole catalog.</summary>
    [Alias("GetCatalog")]
    Task<ModelCatalog> GetCatalogAsync();

    /// <summary>The catalog's version, cheap to poll.</summary>
    [Alias("GetVersion")]
    Task<long> GetVersionAsync();

    /// <summary>
    /// Replaces the models that came from configuration with <paramref name="models"/>, unless
    /// <paramref name="configurationHash"/> is the one already applied. Admin entries stay.
    /// </summary>
    [Alias("ApplyConfiguration")]
    Task ApplyConfigurationAsync(ModelDefinition[] models, string configurationHash);

    /// <summary>Adds or replaces a model at runtime (durable).</summary>
    [Alias("Upsert")]
    Task<ModelCatalog> UpsertAsync(ModelDefinition model);

    /// <summary>Removes a model at runtime (durable); false when there was none of that name.</summary>
    [Alias("Remove")]
    Task<bool> RemoveAsync(string name);
}
