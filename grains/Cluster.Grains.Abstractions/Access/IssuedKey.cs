namespace Cluster.Grains.Access;

/// <summary>A newly issued key: the record, and the secret, which is shown this once.</summary>
[GenerateSerializer, Immutable, Alias("Cluster.IssuedKey")]
public sealed record IssuedKey(
    [property: Id(0)] ApiKeyRecord Key,
    [property: Id(1)] string Secret);
