using Cluster.Grains.Models;

namespace Cluster.Tests.Support.InMemory;

/// <summary>The model registry for unit tests: a catalog a test replaces (bumping the version), read by <c>ModelCatalogView</c>.</summary>
public sealed class InMemoryModelRegistryGrain : IModelRegistryGrain
{
    private ModelCatalog _catalog = new(1, []);

    public void Publish(params ModelDefinition[] models)
    {
        var current = Volatile.Read(ref _catalog);
        Volatile.Write(ref _catalog, new ModelCatalog(current.Version + 1, models));
    }

    public Task<ModelCatalog> GetCatalogAsync() => Task.FromResult(Volatile.Read(ref _catalog));

    public Task<long> GetVersionAsync() => Task.FromResult(Volatile.Read(ref _catalog).Version);

    public Task ApplyConfigurationAsync(ModelDefinition[] models, string configurationHash) => throw new NotSupportedException();

    public Task<ModelCatalog> UpsertAsync(ModelDefinition model) => throw new NotSupportedException();

    public Task<bool> RemoveAsync(string name) => throw new NotSupportedException();
}
