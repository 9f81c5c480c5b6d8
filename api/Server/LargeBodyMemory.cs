namespace Cluster.Api.Server;

/// <summary>
/// Gives the memory of large request bodies back to the system once they are done with. A body of
/// 1 MiB or more lands on the large object heap, which only a full collection frees; a quiet
/// front-end may not run one for a long time and keeps its peak size. After a burst of large
/// bodies, once none is in flight, one compacting collection returns the memory (at most every
/// <see cref="Interval"/>; no cost while bodies are small).
/// </summary>
internal sealed class LargeBodyMemory : IHostedService, IDisposable
{
    public const int LargeBodyBytes = 1024 * 1024;
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
    private readonly ITimer _timer;
    private long _largeBytesSinceCollect;
    private int _inFlight;

    public LargeBodyMemory(TimeProvider time)
    {
        _timer = time.CreateTimer(_ => Trim(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Counts a large body from when it is read until the response is done.</summary>
    public void Track(HttpContext context, long bytes)
    {
        if (bytes < LargeBodyBytes)
        {
            return;
        }

        Interlocked.Add(ref _largeBytesSinceCollect, bytes);
        Interlocked.Increment(ref _inFlight);
        context.Response.RegisterForDispose(new Release(this));
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _timer.Change(Interval, Interval);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        return Task.CompletedTask;
    }

    public void Dispose() => _timer.Dispose();

    private void Trim()
    {
        if (Volatile.Read(ref _inFlight) > 0 || Interlocked.Exchange(ref _largeBytesSinceCollect, 0) == 0)
        {
            return;
        }

        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    private sealed class Release(LargeBodyMemory owner) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref owner._inFlight);
    }
}
