namespace Cluster.Bench.Runner;

/// <summary>The median over rounds of every figure of one cell.</summary>
internal sealed record CellSummary(
    CellKey Key,
    int Rounds,
    double Throughput,
    double? P50,
    double? P90,
    double? P99,
    double? FirstChunkP50,
    double? FirstChunkP99,
    double? ChunkGapMs,
    int Requests,
    int Errors,
    string? FirstError,
    double? AllocatedBytesPerRequest,
    double? GrainCallsPerRequest,
    double? UpstreamCallsPerRequest)
{
    public static CellSummary From(CellKey key, IReadOnlyList<CellRound> rounds)
    {
        var results = rounds.Select(r => r.Result).ToList();
        return new CellSummary(
            key,
            rounds.Count,
            Median.Of(results.Select(r => (double?)r.Throughput)) ?? 0,
            Median.Of(results.Select(r => r.Latency?.P50)),
            Median.Of(results.Select(r => r.Latency?.P90)),
            Median.Of(results.Select(r => r.Latency?.P99)),
            Median.Of(results.Select(r => r.FirstChunk?.P50)),
            Median.Of(results.Select(r => r.FirstChunk?.P99)),
            Median.Of(results.Select(r => r.MeanChunkGapMs)),
            results.Sum(r => r.Total),
            results.Sum(r => r.Errors),
            results.Select(r => r.FirstError).FirstOrDefault(e => e is not null),
            Median.Of(rounds.Select(r => r.AllocatedBytesPerRequest)),
            Median.Of(rounds.Select(r => r.GrainCallsPerRequest)),
            Median.Of(rounds.Select(r => r.UpstreamCallsPerRequest)));
    }
}
