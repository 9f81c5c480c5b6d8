namespace Cluster.Bench.PrefixCache;

/// <summary>
/// One way of placing the workload's requests: a gateway model with a routing strategy (through one
/// or two front-ends, with or without <c>x-session-id</c> per conversation), or, for the ideal
/// placement, tenant t always on backend <c>t mod N</c>: through the gateway (one single-deployment
/// model per backend, <c>pa-ideal-{b}</c>), or straight to the backend without a gateway.
/// </summary>
internal sealed record PrefixPlacement(string Name, string? Model, bool Sessions, int FrontEnds, bool Ideal = false)
{
    public bool Direct => Model is null;

    public const string IdealModelPrefix = "pa-ideal-";
}
