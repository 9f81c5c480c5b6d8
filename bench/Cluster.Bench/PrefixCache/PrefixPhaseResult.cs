namespace Cluster.Bench.PrefixCache;

/// <summary>What one placement measured after its warm-up: requests, errors, backend-reported hit rate, TTFT.</summary>
internal sealed record PrefixPhaseResult(
    PrefixPlacement Placement,
    int Requests,
    int Errors,
    long PromptTokens,
    long CachedTokens,
    double TtftP50Ms,
    double TtftP90Ms,
    double RequestsPerSecond,
    string? FirstError)
{
    /// <summary>The busiest backend's requests over the fair share, warm-up included.</summary>
    public double Imbalance { get; init; }

    /// <summary>Prefills that missed a shared prefix, per 100 requests the backends served, warm-up included.</summary>
    public double ColdPer100 { get; init; }

    /// <summary>Mean wait for the backend's prefill engine, warm-up included.</summary>
    public double PrefillWaitMs { get; init; }

    /// <summary>How the prefix-aware strategy placed the requests (<see cref="PlacementDecisions"/>); null for the other placements.</summary>
    public string? Decisions { get; init; }

    public double HitRate => PromptTokens == 0 ? 0 : (double)CachedTokens / PromptTokens;
}
