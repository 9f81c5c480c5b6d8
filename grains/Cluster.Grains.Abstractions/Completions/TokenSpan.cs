namespace Cluster.Grains.Completions;

/// <summary>Where a JSON token sits in a UTF-8 body: offset and length in bytes.</summary>
[GenerateSerializer, Immutable, Alias("Cluster.TokenSpan")]
public readonly record struct TokenSpan(
    [property: Id(0)] int Start,
    [property: Id(1)] int Length)
{
    public bool IsEmpty => Length == 0;
}
