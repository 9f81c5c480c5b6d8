namespace Cluster.Bench.Upstream;

/// <summary>Lock-free counters of the requests the fake upstream served.</summary>
internal sealed class UpstreamStats
{
    private readonly long[] _byRoute = new long[Enum.GetValues<UpstreamRoute>().Length];
    private long _requests;
    private long _inFlight;
    private long _peakInFlight;

    public void Enter(UpstreamRoute route)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _byRoute[(int)route]);
        var now = Interlocked.Increment(ref _inFlight);
        var peak = Volatile.Read(ref _peakInFlight);
        while (now > peak)
        {
            var seen = Interlocked.CompareExchange(ref _peakInFlight, now, peak);
            if (seen == peak)
            {
                break;
            }

            peak = seen;
        }
    }

    public void Exit() => Interlocked.Decrement(ref _inFlight);

    public UpstreamStatsSnapshot Snapshot() => new(
        Volatile.Read(ref _requests),
        Volatile.Read(ref _byRoute[(int)UpstreamRoute.ChatCompletions]),
        Volatile.Read(ref _byRoute[(int)UpstreamRoute.Completions]),
        Volatile.Read(ref _byRoute[(int)UpstreamRoute.Embeddings]),
        Volatile.Read(ref _byRoute[(int)UpstreamRoute.Models]),
        Volatile.Read(ref _inFlight),
        Volatile.Read(ref _peakInFlight));

    public void Reset()
    {
        Interlocked.Exchange(ref _requests, 0);
        for (var i = 0; i < _byRoute.Length; i++)
        {
            Interlocked.Exchange(ref _byRoute[i], 0);
        }

        // Requests still running stay counted as in flight; the peak restarts from them.
        Interlocked.Exchange(ref _peakInFlight, Volatile.Read(ref _inFlight));
    }
}
