namespace Cluster.Grains.Access;

/// <summary>All tenants and (hashed) keys at one version of the access directory.</summary>
[GenerateSerializer, Immutable, Alias("Cluster.AccessSnapshot")]
public sealed record AccessSnapshot(
    [property: Id(0)] long Version,
    [property: Id(1)] TenantDefinition[] Tenants,
    [property: Id(2)] ApiKeyRecord[] Keys);
