namespace Cluster.Grains.Limits;

/// <summary>A limiter's current use: leases held, tokens and spend counted against quotas, and each scope's window.</summary>
[GenerateSerializer, Immutable, Alias("Cluster.LimiterState")]
public sealed record LimiterState(
    [property: Id(0)] int Leases,
    [property: Id(1)] long TokensToday,
    [property: Id(2)] long TokensThisMonth,
    [property: Id(3)] decimal SpendThisMonthUsd,
    [property: Id(4)] ScopeUse[]? Scopes = null);
