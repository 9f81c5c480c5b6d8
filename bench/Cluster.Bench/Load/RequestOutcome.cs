namespace Cluster.Bench.Load;

/// <summary>What one request cost, in <see cref="System.Diagnostics.Stopwatch"/> ticks.</summary>
internal readonly record struct RequestOutcome(
    int Status,
    long LatencyTicks,
    long FirstChunkTicks,
    double MeanChunkGapTicks,
    int DataEvents,
    string? Error)
{
    public bool Succeeded => Error is null;

    public static RequestOutcome Failed(int status, long latencyTicks, string error) =>
        new(status, latencyTicks, -1, double.NaN, 0, error);
}
