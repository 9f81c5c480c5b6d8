namespace Cluster.Bench.PrefixCache;

/// <summary>
/// One way of placing the workload's requests: a gateway model with a routing strategy (through one
/// or two front-ends, with or without <c>x-session-id</c> per conversation), or, for the ideal
/// placement, straight to backend <c>tenant mod N</c> without a gateway.
/// </summary>
internal sealed record PrefixPlacement(string Name, string? Model, bool Sessions, int FrontEnds)
{
    public bool Direct => Model is null;
}
