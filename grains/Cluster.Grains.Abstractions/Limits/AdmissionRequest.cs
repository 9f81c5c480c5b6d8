using Cluster.Grains.Access;

namespace Cluster.Grains.Limits;

/// <summary>
/// One request asking a tenant's limiter for admission: the scopes that apply (the key, the
/// tenant, the tenant × model) with their limits, and the tokens to reserve (prompt tokens plus
/// the most the completion may use).
/// </summary>
[GenerateSerializer, Immutable, Alias("Cluster.AdmissionRequest")]
public sealed record AdmissionRequest(
    [property: Id(0)] string RequestId,
    [property: Id(1)] string? KeyId,
    [property: Id(2)] ScopeLimits KeyLimits,
    [property: Id(3)] string Model,
    [property: Id(4)] ScopeLimits ModelLimits,
    [property: Id(5)] ScopeLimits TenantLimits,
    [property: Id(6)] TenantQuotas Quotas,
    [property: Id(7)] long ReservedTokens,
    [property: Id(8)] decimal ReservedCostUsd);
