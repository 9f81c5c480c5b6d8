using Cluster.Grains.Access;
using Cluster.Grains.Limits;

namespace Cluster.Api.Usage;

/// <summary>
/// A tenant's live limit use, as <c>GET /limits</c> and <c>GET /admin/tenants/{id}/limits</c>
/// answer it: each scope's requests and tokens in the current 60-second window beside its limit,
/// leases in flight, and what is left of each quota (reserved tokens of requests in flight count as used).
/// </summary>
internal static class LimitUse
{
    public static async Task<object> DescribeAsync(IGrainFactory grains, string tenantId, AccessIndex access)
    {
        var tenant = access.Tenant(tenantId);
        var state = await grains.GetGrain<ILimiterGrain>(ILimiterGrain.TenantKey(tenantId)).GetStateAsync();
        var quotas = tenant?.Quotas ?? TenantQuotas.None;
        return new
        {
            @object = "limits",
            tenant = tenantId,
            leases = state.Leases,
            tokens_today = state.TokensToday,
            tokens_this_month = state.TokensThisMonth,
            spend_this_month_usd = state.SpendThisMonthUsd,
            quotas = new
            {
                tokens_per_day = quotas.TokensPerDay,
                tokens_per_day_left = quotas.TokensPerDay is { } day ? Math.Max(0, day - state.TokensToday) : (long?)null,
                tokens_per_month = quotas.TokensPerMonth,
                tokens_per_month_left = quotas.TokensPerMonth is { } month ? Math.Max(0, month - state.TokensThisMonth) : (long?)null,
                budget_usd_per_month = quotas.BudgetUsdPerMonth,
                budget_usd_left = quotas.BudgetUsdPerMonth is { } budget ? Math.Max(0, budget - state.SpendThisMonthUsd) : (decimal?)null,
            },
            scopes = (state.Scopes ?? []).Select(scope =>
            {
                var limits = LimitsOf(scope.Scope, tenant, access);
                return new
                {
                    scope = scope.Scope,
                    requests_in_window = scope.RequestsInWindow,
                    rpm = limits?.Rpm,
                    tokens_in_window = scope.TokensInWindow,
                    tpm = limits?.Tpm,
                    in_flight = scope.InFlight,
                    max_concurrency = limits?.MaxConcurrency,
                };
            }),
        };
    }

    private static ScopeLimits? LimitsOf(string scope, TenantDefinition? tenant, AccessIndex access)
    {
        if (tenant is null)
        {
            return null;
        }

        if (scope == "tenant")
        {
            return tenant.Limits;
        }

        if (scope.StartsWith("model:", StringComparison.Ordinal))
        {
            return tenant.ModelLimits.GetValueOrDefault(scope["model:".Length..]);
        }

        return scope.StartsWith("key:", StringComparison.Ordinal) ? access.KeyById(scope["key:".Length..])?.Limits : null;
    }
}
