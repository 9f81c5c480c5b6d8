namespace Cluster.Grains.Models;

/// <summary>
/// Price of a model in US dollars per million tokens. <see cref="CachedInputPerMTok"/>, when set,
/// prices the prompt tokens the backend served from its prefix cache (reported as
/// <c>cached_tokens</c>); unset, they cost <see cref="InputPerMTok"/> like the rest.
/// </summary>
[GenerateSerializer, Immutable, Alias("Cluster.ModelPrice")]
public sealed record ModelPrice(
    [property: Id(0)] decimal InputPerMTok,
    [property: Id(1)] decimal OutputPerMTok,
    [property: Id(2)] decimal? CachedInputPerMTok = null)
{
    public static readonly ModelPrice Free = new(0, 0);

    public decimal CostOf(long promptTokens, long completionTokens, long cachedTokens = 0)
    {
        var cached = CachedInputPerMTok is not null ? Math.Clamp(cachedTokens, 0, promptTokens) : 0;
        return ((promptTokens - cached) * InputPerMTok + cached * (CachedInputPerMTok ?? 0) + completionTokens * OutputPerMTok) / 1_000_000m;
    }
}
