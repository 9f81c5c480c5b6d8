
namespace Cluster.Relay.Views;

/// <summary>
/// The model catalog as every front-end and silo reads it per request: a local snapshot of the
/// registry grain, refreshed within about a second of any change (see <see cref="VersionedView{T}"/>).
/// </summary>
public sealed class ModelCatalogView
{
    private readonly VersionedView<CatalogSnapshot> _view;

    public ModelCatalogView(IGrainFactory grains, TimeProvider time)
    {
        var registry = grains.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key);
        _view = new VersionedView<CatalogSnapshot>(
            registry.GetVersionAsync,
            async () =>
            {
                var catalog = await registry.GetCatalogAsync();
                return (catalog.Version, new CatalogSnapshot(catalog));
            },
            time);
    }

    public ValueTask<CatalogSnapshot> GetAsync() => _view.GetAsync();

    /// <summary>The current copy, checked now: for a lookup that missed in the cached copy.</summary>
    public Task<CatalogSnapshot> GetFreshAsync() => _view.GetFreshAsync();

    public Task<CatalogSnapshot> LoadAsync() => _view.LoadAsync();
}
