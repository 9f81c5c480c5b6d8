namespace Cluster.Grains.Usage;

/// <summary>
/// One page of the durable usage ledger: a tenant's requests of one UTC day that hash to one shard
/// (key <c>{tenant}/{yyyyMMdd}/{shard}</c>, see <see cref="UsageLedger"/>), so state stays bounded
/// however long history grows. Records are idempotent by request id and group-committed.
/// </summary>
[Alias("Cluster.IUsageLedgerGrain")]
public interface IUsageLedgerGrain : IGrainWithStringKey
{
    /// <summary>Records a request and returns once it is durable in storage. A repeated request id is ignored.</summary>
    [Alias("Record")]
    Task RecordAsync(UsageRecord record);

    /// <summary>The records of this page, optionally only those of one key.</summary>
    [Alias("GetRecords")]
    Task<UsageRecord[]> GetRecordsAsync();
}
