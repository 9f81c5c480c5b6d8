namespace Cluster.Grains.Access;

/// <summary>Quotas of a tenant, per UTC day and UTC month. Null means none.</summary>
[GenerateSerializer, Immutable, Alias("Cluster.TenantQuotas")]
public sealed record TenantQuotas(
    [property: Id(0)] long? TokensPerDay,
    [property: Id(1)] long? TokensPerMonth,
    [property: Id(2)] decimal? BudgetUsdPerMonth)
{
    public static readonly TenantQuotas None = new(null, null, null);

    public bool IsEmpty => TokensPerDay is null && TokensPerMonth is null && BudgetUsdPerMonth is null;
}
