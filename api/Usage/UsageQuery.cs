using System.Globalization;
using Cluster.Grains.Errors;
using Cluster.Grains.Usage;
using Cluster.Relay.Accounting;
using Microsoft.Extensions.Options;

namespace Cluster.Api.Usage;

/// <summary>
/// A tenant's usage for a range of UTC days, summed from the hourly buckets the ledger pages keep
/// (each day is <c>Usage:LedgerShards</c> pages, all read in parallel), so a query costs
/// O(days × shards × buckets), however many records the days hold. Totals and rows are sums of
/// the same buckets, so the rows always add up to the totals.
/// </summary>
internal sealed class UsageQuery(IGrainFactory grains, IOptions<UsageOptions> options, TimeProvider time)
{
    private readonly int _shards = options.Value.LedgerShards;

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

        // Sums in place (tens of thousands of buckets for a month), one name per hour.
        var total = new UsageSum();
        var sums = new Dictionary<string, UsageSum>(StringComparer.Ordinal);
        var hourNames = new Dictionary<long, string>();
        foreach (var bucket in buckets)
        {
            total.Add(bucket.Totals);
            var group = groupBy switch
            {
                UsageGroupBy.Model => bucket.Model,
                UsageGroupBy.Key => KeyName(bucket.KeyId),
                _ => HourName(hourNames, bucket.HourMs, groupBy),
            };
            if (!sums.TryGetValue(group, out var sum))
            {
                sums[group] = sum = new UsageSum();
            }

            sum.Add(bucket.Totals);
        }

        var groups = new SortedDictionary<string, UsageTotals>(StringComparer.Ordinal);
        foreach (var (group, sum) in sums)
        {
            groups[group] = sum.ToTotals();
        }

        return new UsageReport(tenant, range.From, range.To, groupBy, total.ToTotals(), groups);
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

    private static string HourName(Dictionary<long, string> names, long hourMs, UsageGroupBy groupBy)
    {
        if (!names.TryGetValue(hourMs, out var name))
        {
            var at = DateTimeOffset.FromUnixTimeMilliseconds(hourMs).UtcDateTime;
            name = at.ToString(groupBy == UsageGroupBy.Day ? "yyyy-MM-dd" : "yyyy-MM-ddTHH:00Z", CultureInfo.InvariantCulture);
            names[hourMs] = name;
        }

        return name;
    }
}
