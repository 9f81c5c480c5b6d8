namespace Cluster.Grains.Usage;

/// <summary>
/// Usage summed per UTC hour × model × key: what a ledger page keeps beside its records, so a usage
/// query sums buckets instead of reading records. Exact: decimal costs and long counts.
/// </summary>
internal sealed class UsageRollup
{
    private readonly Dictionary<(long HourMs, string Model, string? KeyId), UsageTotals> _buckets = [];

    public int Count => _buckets.Count;

    public static UsageRollup Of(IEnumerable<UsageBucket>? buckets)
    {
        var rollup = new UsageRollup();
        foreach (var bucket in buckets ?? [])
        {
            rollup.Add(bucket.HourMs, bucket.Model, bucket.KeyId, bucket.Totals);
        }

        return rollup;
    }

    public UsageRollup Copy()
    {
        var copy = new UsageRollup();
        foreach (var (key, totals) in _buckets)
        {
            copy._buckets[key] = totals;
        }

        return copy;
    }

    public void Add(UsageRecord record) => Add(UsageBucket.HourOf(record.TimestampMs), record.Model, record.KeyId, UsageTotals.Of(record));

    public void AddRange(IEnumerable<UsageRecord> records)
    {
        foreach (var record in records)
        {
            Add(record);
        }
    }

    public List<UsageBucket> ToBuckets() => _buckets.Select(b => new UsageBucket(b.Key.HourMs, b.Key.Model, b.Key.KeyId, b.Value)).ToList();

    private void Add(long hourMs, string model, string? keyId, UsageTotals totals)
    {
        var key = (hourMs, model, keyId);
        _buckets[key] = _buckets.TryGetValue(key, out var sum) ? sum.Add(totals) : totals;
    }
}
