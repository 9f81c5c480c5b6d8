using Cluster.Grains.Models;

namespace Cluster.Grains.Access;

/// <summary>
/// An API key as stored: its id, the tenant, the first characters of the secret (to recognise it)
/// and the SHA-256 of the secret. The secret itself is never stored.
/// </summary>
[GenerateSerializer, Immutable, Alias("Cluster.ApiKeyRecord")]
public sealed record ApiKeyRecord(
    [property: Id(0)] string Id,
    [property: Id(1)] string TenantId,
    [property: Id(2)] string Prefix,
    [property: Id(3)] string Hash,
    [property: Id(4)] long Created,
    [property: Id(5)] long? LastUsed,
    [property: Id(6)] ScopeLimits Limits,
    [property: Id(7)] ModelSource Source,
    [property: Id(8)] string? Name);
