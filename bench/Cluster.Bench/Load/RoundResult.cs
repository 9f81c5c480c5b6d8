using System.Diagnostics;

namespace Cluster.Bench.Load;

/// <summary>One timed round against one target at one load level.</summary>
internal sealed record RoundResult(
    int Succeeded,
    int Errors,
    double ElapsedSeconds,
    Percentiles? Latency,
    Percentiles? FirstChunk,
    double? MeanChunkGapMs,
    IReadOnlyDictionary<int, int> Statuses,
    string? FirstError)
{
    /// <summary>Successful requests per second.</summary>
    public double Throughput => ElapsedSeconds > 0 ? Succeeded / ElapsedSeconds : 0;

    public int Total => Succeeded + Errors;

    public static RoundResult Merge(IEnumerable<OutcomeRecorder> recorders, long elapsedTicks)
    {
        var latencies = new List<long>();
        var firstChunks = new List<long>();
        var gaps = new List<double>();
        var statuses = new Dictionary<int, int>();
        var errors = 0;
        string? firstError = null;
        foreach (var recorder in recorders)
        {
            latencies.AddRange(recorder.Latencies);
            firstChunks.AddRange(recorder.FirstChunks);
            gaps.AddRange(recorder.ChunkGaps);
            errors += recorder.Errors;
            firstError ??= recorder.FirstError;
            foreach (var (status, count) in recorder.Statuses)
            {
                statuses[status] = statuses.GetValueOrDefault(status) + count;
            }
        }

        return new RoundResult(
            latencies.Count,
            errors,
            (double)elapsedTicks / Stopwatch.Frequency,
            Percentiles.FromTicks(latencies),
            Percentiles.FromTicks(firstChunks),
            gaps.Count > 0 ? gaps.Average() * 1000.0 / Stopwatch.Frequency : null,
            statuses,
            firstError);
    }
}
