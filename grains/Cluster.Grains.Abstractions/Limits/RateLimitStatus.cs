namespace Cluster.Grains.Limits;

/// <summary>
/// What the <c>x-ratelimit-*</c> headers say, for the tightest scope that applied: limits, what
/// remains, and when the window frees up again.
/// </summary>
[GenerateSerializer, Immutable, Alias("Cluster.RateLimitStatus")]
public sealed record RateLimitStatus(
    [property: Id(0)] long? LimitRequests,
    [property: Id(1)] long? RemainingRequests,
    [property: Id(2)] TimeSpan? ResetRequests,
    [property: Id(3)] long? LimitTokens,
    [property: Id(4)] long? RemainingTokens,
    [property: Id(5)] TimeSpan? ResetTokens);
