using System.Text.Json.Serialization;

namespace Cluster.Api.Admin.Responses;

/// <summary>A tenant's own rate limits and its quotas.</summary>
internal sealed record AdminTenantLimits(
    [property: JsonPropertyName("rpm")] int? Rpm,
    [property: JsonPropertyName("tpm")] long? Tpm,
    [property: JsonPropertyName("max_concurrency")] int? MaxConcurrency,
    [property: JsonPropertyName("tokens_per_day")] long? TokensPerDay,
    [property: JsonPropertyName("tokens_per_month")] long? TokensPerMonth,
    [property: JsonPropertyName("budget_usd_per_month")] decimal? BudgetUsdPerMonth);
