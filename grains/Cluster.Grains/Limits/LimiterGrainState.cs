namespace Cluster.Grains.Limits;

/// <summary>A tenant limiter's state: written behind, about once a second while it changes, and on deactivation.</summary>
[GenerateSerializer, Alias("Cluster.LimiterGrainState")]
public sealed class LimiterGrainState
{
    [Id(0)] public Dictionary<string, ScopeCounters> Scopes { get; set; } = new(StringComparer.Ordinal);

    [Id(1)] public Dictionary<string, LimiterLease> Leases { get; set; } = new(StringComparer.Ordinal);

    [Id(2)] public int Day { get; set; }

    [Id(3)] public long TokensToday { get; set; }

    [Id(4)] public int Month { get; set; }

    [Id(5)] public long TokensThisMonth { get; set; }

    [Id(6)] public decimal SpendThisMonth { get; set; }

    /// <summary>Tokens and spend reserved by leases not yet settled; quotas count them as used.</summary>
    [Id(7)] public long PendingTokens { get; set; }

    [Id(8)] public decimal PendingCost { get; set; }

    /// <summary>Leases that lapsed unsettled: a late settlement still counts toward quotas.</summary>
    [Id(9)] public Dictionary<string, long> Lapsed { get; set; } = new(StringComparer.Ordinal);
}
