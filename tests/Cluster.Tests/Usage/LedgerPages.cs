using Cluster.Grains.Usage;

namespace Cluster.Tests.Usage;

/// <summary>Reads every ledger page of a tenant around today, record by record, straight from the ledger grains.</summary>
public static class LedgerPages
{
    public static async Task<UsageRecord[]> ReadAsync(IGrainFactory grains, string tenant, int shards = UsageLedger.DefaultShards)
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var pages = new List<Task<UsageRecord[]>>();
        for (var day = today.AddDays(-1); day <= today.AddDays(1); day = day.AddDays(1))
        {
            for (var shard = 0; shard < shards; shard++)
            {
                pages.Add(grains.GetGrain<IUsageLedgerGrain>(UsageLedger.KeyOf(tenant, day, shard)).GetRecordsAsync());
            }
        }

        return [.. (await Task.WhenAll(pages)).SelectMany(p => p)];
    }
}
