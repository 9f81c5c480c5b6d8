namespace Cluster.Grains.Models;

/// <summary>
/// A process-local, read-mostly view of the registry. Both front-ends and model grains need the
/// catalogue on every request; asking the registry grain each time would make it a hot spot, so
/// the view polls the cheap version number at most once per <see cref="RefreshInterval"/> and
/// refetches the catalogue only when it changed. Stale reads last at most one interval.
/// </summary>
public sealed class ModelCatalogView(IGrainFactory grains, TimeProvider time)
{
    private readonly object _gate = new();
    private CatalogSnapshot? _snapshot;
    private long _checkedAt;
    private Task? _refreshing;

    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromSeconds(1);

    private IModelRegistryGrain Registry => grains.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key);

    /// <summary>The current snapshot; waits only when none was ever loaded.</summary>
    public ValueTask<CatalogSnapshot> GetAsync()
    {
        var snapshot = _snapshot;
        if (snapshot is null)
        {
            return new ValueTask<CatalogSnapshot>(LoadAsync());
        }

        if (time.GetElapsedTime(Volatile.Read(ref _checkedAt)) >= RefreshInterval)
        {
            StartRefresh();
        }

        return new ValueTask<CatalogSnapshot>(snapshot);
    }

    /// <summary>Loads the catalogue now, for callers that just changed it.</summary>
    public async Task<CatalogSnapshot> LoadAsync()
    {
        var catalog = await Registry.GetCatalogAsync();
        return Publish(catalog);
    }

    private void StartRefresh()
    {
        lock (_gate)
        {
            if (_refreshing is { IsCompleted: false })
            {
                return;
            }

            Volatile.Write(ref _checkedAt, time.GetTimestamp());
            _refreshing = RefreshAsync();
        }
    }

    private async Task RefreshAsync()
    {
        try
        {
            var version = await Registry.GetVersionAsync();
            if (version != _snapshot?.Version)
            {
                await LoadAsync();
            }
        }
        catch (Exception)
        {
            // The cluster may be unreachable for a moment; keep serving the last snapshot and
            // try again after the next interval.
        }
    }

    private CatalogSnapshot Publish(ModelCatalog catalog)
    {
        lock (_gate)
        {
            Volatile.Write(ref _checkedAt, time.GetTimestamp());
            if (_snapshot is { } current && current.Version >= catalog.Version && current.Version != 0)
            {
                return current;
            }

            var snapshot = new CatalogSnapshot(catalog);
            _snapshot = snapshot;
            return snapshot;
        }
    }
}
