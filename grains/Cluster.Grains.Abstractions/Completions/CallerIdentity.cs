namespace Cluster.Grains.Completions;

/// <summary>Who sent a request: the tenant and the key id (never the key itself).</summary>
[GenerateSerializer, Immutable, Alias("Cluster.CallerIdentity")]
public sealed record CallerIdentity(
    [property: Id(0)] string Tenant,
    [property: Id(1)] string? KeyId)
{
    public static readonly CallerIdentity Default = new("default", null);
}
