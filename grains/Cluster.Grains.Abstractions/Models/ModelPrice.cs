namespace Cluster.Grains.Models;

/// <summary>Price of a model in US dollars per million tokens.</summary>
[GenerateSerializer, Immutable, Alias("Cluster.ModelPrice")]
public sealed record ModelPrice(
    [property: Id(0)] decimal InputPerMTok,
    [property: Id(1)] decimal OutputPerMTok)
{
    public static readonly ModelPrice Free = new(0, 0);

    public decimal CostOf(long promptTokens, long completionTokens) =>
        (promptTokens * InputPerMTok + completionTokens * OutputPerMTok) / 1_000_000m;
}
