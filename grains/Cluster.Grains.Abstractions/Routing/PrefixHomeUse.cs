namespace Cluster.Grains.Routing;

/// <summary>A prefix's home as a front-end knows it, and how many requests it routed for the prefix since its last report.</summary>
[GenerateSerializer, Immutable, Alias("Cluster.PrefixHomeUse")]
public sealed record PrefixHomeUse(
    [property: Id(0)] ulong Anchor,
    [property: Id(1)] string Home,
    [property: Id(2)] int Requests);
