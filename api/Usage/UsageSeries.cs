using System.Globalization;
using Cluster.Grains.Errors;
using Cluster.Grains.Usage;

namespace Cluster.Api.Usage;

/// <summary>
/// Usage over time for charts: one row per hour (or day) × model × key, summed from the ledger's
/// hourly buckets, with the totals of the same buckets (so they equal <c>/usage</c>'s exactly).
/// </summary>
internal static class UsageSeries
{
    public static async Task<object> RunAsync(UsageQuery query, string tenant, HttpRequest request)
    {
        var range = UsageRange.Read(request, query.Time);
        var daily = request.Query["granularity"].ToString() switch
        {
            "" or "day" => true,
            "hour" => false,
            _ => throw GatewayException.BadRequest("'granularity' must be day or hour.", "granularity"),
        };
        var buckets = await query.BucketsAsync(tenant, range, UsageQuery.KeyFilter(request));

        var totals = UsageTotals.Zero;
        var rows = new SortedDictionary<(long Start, string Model, string Key), UsageTotals>();
        foreach (var bucket in buckets)
        {
            totals = totals.Add(bucket.Totals);
            var start = daily ? bucket.HourMs - (bucket.HourMs % 86_400_000) : bucket.HourMs;
            var row = (start, bucket.Model, UsageQuery.KeyName(bucket.KeyId));
            rows[row] = rows.TryGetValue(row, out var sum) ? sum.Add(bucket.Totals) : bucket.Totals;
        }

        return new
        {
            @object = "usage.series",
            tenant,
            from = range.From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            to = range.To.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            granularity = daily ? "day" : "hour",
            totals = Describe(totals),
            data = rows.Select(r => new
            {
                start = DateTimeOffset.FromUnixTimeMilliseconds(r.Key.Start).UtcDateTime.ToString(daily ? "yyyy-MM-dd" : "yyyy-MM-ddTHH:00Z", CultureInfo.InvariantCulture),
                start_ms = r.Key.Start,
                model = r.Key.Model,
                key = r.Key.Key,
                requests = r.Value.Requests,
                prompt_tokens = r.Value.PromptTokens,
                completion_tokens = r.Value.CompletionTokens,
                total_tokens = r.Value.TotalTokens,
                cost_usd = r.Value.CostUsd,
            }),
        };
    }

    private static object Describe(UsageTotals totals) => new
    {
        requests = totals.Requests,
        prompt_tokens = totals.PromptTokens,
        completion_tokens = totals.CompletionTokens,
        total_tokens = totals.TotalTokens,
        cost_usd = totals.CostUsd,
    };
}
