using System.Globalization;
using Cluster.Grains.Errors;
using Cluster.Grains.Usage;

namespace Cluster.Api.Usage;

/// <summary>
/// Reads a tenant's ledger for a range of UTC days and sums it, overall and by group. Each day is
/// <c>Usage:LedgerShards</c> pages; all pages of the range are read in parallel.
/// </summary>
internal sealed class UsageQuery(IGrainFactory grains, IConfiguration configuration, TimeProvider time)
{
    public const int MaxDays = 92;
    private readonly int _shards = configuration.GetValue<int?>("Usage:LedgerShards") ?? UsageLedger.DefaultShards;

    public async Task<UsageReport> RunAsync(string tenant, HttpRequest request)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var from = Day(request, "from") ?? today.AddDays(-6);
        var to = Day(request, "to") ?? today;
        if (to < from)
        {
            throw GatewayException.BadRequest("'to' is before 'from'.", "to");
        }

        if (to.DayNumber - from.DayNumber + 1 > MaxDays)
        {
            throw GatewayException.BadRequest($"A usage query covers at most {MaxDays} days.", "from");
        }

        var groupText = request.Query["group_by"].ToString();
        var groupBy = groupText switch
        {
            "" or "model" => UsageGroupBy.Model,
            "day" => UsageGroupBy.Day,
            "key" => UsageGroupBy.Key,
            "hour" => UsageGroupBy.Hour,
            _ => throw GatewayException.BadRequest("'group_by' must be one of model, day, key, hour.", "group_by"),
        };
        var keyFilter = request.Query["key"].ToString();

        var pages = new List<Task<UsageRecord[]>>();
        for (var day = from; day <= to; day = day.AddDays(1))
        {
            for (var shard = 0; shard < _shards; shard++)
            {
                pages.Add(grains.GetGrain<IUsageLedgerGrain>(UsageLedger.KeyOf(tenant, day, shard)).GetRecordsAsync());
            }
        }

        var totals = UsageTotals.Zero;
        var groups = new SortedDictionary<string, UsageTotals>(StringComparer.Ordinal);
        foreach (var page in await Task.WhenAll(pages))
        {
            foreach (var record in page)
            {
                if (keyFilter.Length > 0 && record.KeyId != keyFilter)
                {
                    continue;
                }

                var one = UsageTotals.Of(record);
                totals = totals.Add(one);
                var group = GroupOf(record, groupBy);
                groups[group] = groups.TryGetValue(group, out var sum) ? sum.Add(one) : one;
            }
        }

        return new UsageReport(tenant, from, to, groupBy, totals, groups);
    }

    private static string GroupOf(UsageRecord record, UsageGroupBy groupBy)
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(record.TimestampMs).UtcDateTime;
        return groupBy switch
        {
            UsageGroupBy.Model => record.Model,
            UsageGroupBy.Day => at.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            UsageGroupBy.Hour => at.ToString("yyyy-MM-ddTHH:00Z", CultureInfo.InvariantCulture),
            _ => record.KeyId ?? "(none)",
        };
    }

    private static DateOnly? Day(HttpRequest request, string name)
    {
        var text = request.Query[name].ToString();
        if (text.Length == 0)
        {
            return null;
        }

        return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day
            : throw GatewayException.BadRequest($"'{name}' must be a date as yyyy-MM-dd.", name);
    }
}
