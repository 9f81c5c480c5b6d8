namespace Cluster.Grains.Usage;

/// <summary>
/// One page of the durable usage ledger: a tenant's requests of one UTC day that hash to one shard
/// (key <c>{tenant}/{yyyyMMdd}/{shard}</c>, see <see cref="UsageLedger"/>), so state stays bounded
/// however long history grows. Records are idempotent by request id and group-committed. The page
/// keeps hourly buckets per model and key as it stores records, in the same writes.
/// </summary>
[Alias("Cluster.IUsageLedgerGrain")]
public interface IUsageLedgerGrain : IGrainWithStringKey
{
    /// <summary>
    /// Records a request and returns once it is durable in storage. A repeated request id is ignored,
    /// also when it comes back after its segment was sealed and the page moved to another silo.
    /// </summary>
    [Alias("Record")]
    Task RecordAsync(UsageRecord record);

    /// <summary>Records several requests (a front-end's batch for this page); returns once all are durable.</summary>
    [Alias("RecordMany")]
    Task RecordManyAsync(UsageRecord[] records);

    /// <summary>Every record of this page (reads the whole page: for tests and audits, not for queries).</summary>
    [Alias("GetRecords")]
    Task<UsageRecord[]> GetRecordsAsync();

    /// <summary>The page's usage per UTC hour × model × key; the buckets add up to exactly the page's records.</summary>
    [Alias("GetRollup")]
    Task<UsageBucket[]> GetRollupAsync();

    /// <summary>The newest records that match <paramref name="filter"/>, newest first, reading only the segments needed.</summary>
    [Alias("GetRecent")]
    Task<UsageRecord[]> GetRecentAsync(UsageRecordFilter filter);
}
