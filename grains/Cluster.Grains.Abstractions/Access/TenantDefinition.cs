using Cluster.Grains.Models;

namespace Cluster.Grains.Access;

/// <summary>A tenant: the models it may use (<c>*</c> for all), its limits and quotas.</summary>
[GenerateSerializer, Immutable, Alias("Cluster.TenantDefinition")]
public sealed record TenantDefinition(
    [property: Id(0)] string Id,
    [property: Id(1)] string[] Models,
    [property: Id(2)] ScopeLimits Limits,
    [property: Id(3)] TenantQuotas Quotas,
    [property: Id(4)] Dictionary<string, ScopeLimits> ModelLimits,
    [property: Id(5)] ModelSource Source,
    [property: Id(6)] long Created)
{
    public bool MayUse(ModelDefinition model) =>
        Models.Contains("*") || Models.Contains(model.Name) || model.Aliases.Any(Models.Contains);

    public bool HasLimits => !Limits.IsEmpty || !Quotas.IsEmpty || ModelLimits.Count > 0;
}
