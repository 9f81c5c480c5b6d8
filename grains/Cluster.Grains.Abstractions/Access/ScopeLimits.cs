namespace Cluster.Grains.Access;

/// <summary>Rate limits of one scope (a key, a tenant, a tenant × model). Null means unlimited.</summary>
[GenerateSerializer, Immutable, Alias("Cluster.ScopeLimits")]
public sealed record ScopeLimits(
    [property: Id(0)] int? Rpm,
    [property: Id(1)] long? Tpm,
    [property: Id(2)] int? MaxConcurrency)
{
    public static readonly ScopeLimits None = new(null, null, null);

    public bool IsEmpty => Rpm is null && Tpm is null && MaxConcurrency is null;
}
