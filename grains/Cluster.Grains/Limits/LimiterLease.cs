namespace Cluster.Grains.Limits;

/// <summary>An admitted request's claim: the scopes it counts against, what it reserved, and when the claim lapses.</summary>
[GenerateSerializer, Alias("Cluster.Lease")]
public sealed class LimiterLease
{
    [Id(0)] public string[] Scopes { get; set; } = [];

    [Id(1)] public long Second { get; set; }

    [Id(2)] public long ReservedTokens { get; set; }

    [Id(3)] public decimal ReservedCost { get; set; }

    [Id(4)] public long ExpiresAtMs { get; set; }
}
