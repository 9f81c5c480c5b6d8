
namespace Cluster.Relay.Views;

/// <summary>Tenants and keys as front-ends read them per request: a local copy of the access directory.</summary>
public sealed class AccessView
{
    private readonly VersionedView<AccessIndex> _view;

    public AccessView(IGrainFactory grains, TimeProvider time)
    {
        var directory = grains.GetGrain<IAccessDirectoryGrain>(IAccessDirectoryGrain.Key);
        _view = new VersionedView<AccessIndex>(
            directory.GetVersionAsync,
            async () =>
            {
                var snapshot = await directory.GetSnapshotAsync();
                return (snapshot.Version, new AccessIndex(snapshot));
            },
            time);
    }

    public ValueTask<AccessIndex> GetAsync() => _view.GetAsync();

    /// <summary>The current copy, checked now: for a lookup that missed in the cached copy.</summary>
    public Task<AccessIndex> GetFreshAsync() => _view.GetFreshAsync();

    public Task<AccessIndex> LoadAsync() => _view.LoadAsync();
}
