using System.Globalization;
using Cluster.Grains.Errors;
using Cluster.Grains.Usage;

namespace Cluster.Api.Usage;

/// <summary>
/// A tenant's usage for a range of UTC days, summed from the hourly buckets the ledger pages keep
/// (each day is <c>Usage:LedgerShards</c> pages, all read in parallel), so a query costs
/// O(days × shards × buckets), however many records the days hold. Totals and rows are sums of
/// the same buckets, so the rows always add up to the totals.
/// </summary>
internal sealed class UsageQuery(IGrainFactory grains, IConfiguration configuration, TimeProvider time)
{
    private readonly int _shards = configuration.GetValue<int?>("Usage:LedgerShards") ?? UsageLedger.DefaultShards;

    public int Shards => _shards;

    public TimeProvider Time => time;

    public async Task<UsageReport> RunAsync(string tenant, HttpRequest request)
    {
        var range = UsageRange.Read(request, time);
        var groupBy = request.Query["group_by"].ToString() switch
        {
            "" or "model" => UsageGroupBy.Model,
            "day" => UsageGroupBy.Day,
            "key" => UsageGroupBy.Key,
            "hour" => UsageGroupBy.Hour,
            _ => throw GatewayException.BadRequest("'group_by' must be one of model, day, key, hour.", "group_by"),
        };
        var buckets = await BucketsAsync(tenant, range, KeyFilter(request));

        var totals = UsageTotals.Zero;
        var groups = new SortedDictionary<string, UsageTotals>(StringComparer.Ordinal);
        foreach (var bucket in buckets)
        {
            totals = totals.Add(bucket.Totals);
            var group = GroupOf(bucket, groupBy);
            groups[group] = groups.TryGetValue(group, out var sum) ? sum.Add(bucket.Totals) : bucket.Totals;
        }

        return new UsageReport(tenant, range.From, range.To, groupBy, totals, groups);
    }

    /// <summary>The hourly buckets of a tenant's pages in the range, of one key when <paramref name="keyFilter"/> is set.</summary>
    public async Task<List<UsageBucket>> BucketsAsync(string tenant, UsageRange range, string? keyFilter)
    {
        var pages = new List<Task<UsageBucket[]>>();
        foreach (var day in range.Days())
        {
            for (var shard = 0; shard < _shards; shard++)
            {
                pages.Add(grains.GetGrain<IUsageLedgerGrain>(UsageLedger.KeyOf(tenant, day, shard)).GetRollupAsync());
            }
        }

        var buckets = new List<UsageBucket>();
        foreach (var page in await Task.WhenAll(pages))
        {
            buckets.AddRange(keyFilter is null ? page : page.Where(b => b.KeyId == keyFilter));
        }

        return buckets;
    }

    public static string? KeyFilter(HttpRequest request)
    {
        var key = request.Query["key"].ToString();
        return key.Length == 0 ? null : key;
    }

    public static string KeyName(string? keyId) => keyId ?? "(none)";

    private static string GroupOf(UsageBucket bucket, UsageGroupBy groupBy)
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(bucket.HourMs).UtcDateTime;
        return groupBy switch
        {
            UsageGroupBy.Model => bucket.Model,
            UsageGroupBy.Day => at.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            UsageGroupBy.Hour => at.ToString("yyyy-MM-ddTHH:00Z", CultureInfo.InvariantCulture),
            _ => KeyName(bucket.KeyId),
        };
    }
}
