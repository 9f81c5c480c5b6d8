using Cluster.Grains.Usage;

namespace Cluster.Grains.Usage;

/// <summary>One ledger page: a tenant's records of one day and shard, by request id.</summary>
[GenerateSerializer, Alias("Cluster.UsageLedgerState")]
public sealed class UsageLedgerState
{
    [Id(0)] public Dictionary<string, UsageRecord> Records { get; set; } = new(StringComparer.Ordinal);
}
