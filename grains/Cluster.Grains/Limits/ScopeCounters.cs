namespace Cluster.Grains.Limits;

/// <summary>What one scope (the tenant, a key, a model) has used: requests and tokens in the window, and requests in flight.</summary>
[GenerateSerializer, Alias("Cluster.ScopeCounters")]
public sealed class ScopeCounters
{
    [Id(0)] public SlidingWindow Requests { get; set; } = new();

    [Id(1)] public SlidingWindow Tokens { get; set; } = new();

    [Id(2)] public int InFlight { get; set; }
}
