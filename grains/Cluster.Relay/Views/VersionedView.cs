namespace Cluster.Relay.Views;

/// <summary>
/// A process-local cache of a small, read-mostly cluster document (the model catalog, the
/// tenants and keys). Requests read it without a grain call; it polls the document's version at
/// most once per <see cref="RefreshInterval"/> and refetches only when the version moved, so a
/// change made anywhere is seen everywhere within about one interval.
/// </summary>
public sealed class VersionedView<T>(Func<Task<long>> getVersion, Func<Task<(long Version, T Value)>> load, TimeProvider time)
    where T : class
{
    private readonly object _gate = new();
    private (long Version, T Value)? _current;
    private long _checkedAt;
    private Task? _refreshing;
    private Task<T>? _freshCheck;

    public TimeSpan RefreshInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The current value; waits only when none was ever loaded.</summary>
    public ValueTask<T> GetAsync()
    {
        var current = _current;
        if (current is null)
        {
            return new ValueTask<T>(LoadAsync());
        }

        if (time.GetElapsedTime(Volatile.Read(ref _checkedAt)) >= RefreshInterval)
        {
            StartRefresh();
        }

        return new ValueTask<T>(current.Value.Value);
    }

    /// <summary>
    /// The value after checking the version now. For lookups that missed, so that something
    /// created a moment ago on another node is found at once. Concurrent callers share one check,
    /// so a flood of misses (bad keys) costs one grain call at a time, not one each.
    /// </summary>
    public Task<T> GetFreshAsync()
    {
        lock (_gate)
        {
            if (_freshCheck is not { IsCompleted: false })
            {
                _freshCheck = CheckNowAsync();
            }

            return _freshCheck;
        }
    }

    private async Task<T> CheckNowAsync()
    {
        var version = await getVersion();
        Volatile.Write(ref _checkedAt, time.GetTimestamp());
        return _current is { } known && known.Version == version ? known.Value : await LoadAsync();
    }

    /// <summary>Loads the document now, for callers that just changed it.</summary>
    public async Task<T> LoadAsync()
    {
        var loaded = await load();
        lock (_gate)
        {
            Volatile.Write(ref _checkedAt, time.GetTimestamp());
            if (_current is { } current && current.Version > loaded.Version)
            {
                return current.Value;
            }

            _current = loaded;
            return loaded.Value;
        }
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
            var version = await getVersion();
            if (version != _current?.Version)
            {
                await LoadAsync();
            }
        }
        catch (Exception)
        {
            // The cluster may be unreachable for a moment: keep serving the last value and try
            // again after the next interval.
        }
    }
}
