using System.Globalization;
using System.IO.Hashing;
using System.Text;

namespace Cluster.Grains.Usage;

/// <summary>Where a usage record lives: the ledger page of its tenant, UTC day and request-id shard.</summary>
public static class UsageLedger
{
    public const int DefaultShards = 4;

    public static string KeyOf(string tenant, DateOnly day, int shard) =>
        string.Create(CultureInfo.InvariantCulture, $"{tenant}/{day:yyyyMMdd}/{shard}");

    public static string KeyOf(UsageRecord record, int shards) =>
        KeyOf(record.Tenant, DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(record.TimestampMs).UtcDateTime), ShardOf(record.RequestId, shards));

    public static int ShardOf(string requestId, int shards) =>
        (int)(XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(requestId)) % (uint)shards);
}
