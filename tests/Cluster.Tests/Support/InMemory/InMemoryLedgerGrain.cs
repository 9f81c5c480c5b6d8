using Cluster.Grains.Usage;

namespace Cluster.Tests.Support.InMemory;

/// <summary>A ledger page for unit tests: keeps the records it is given (idempotent by request id, as the page is).</summary>
public sealed class InMemoryLedgerGrain : IUsageLedgerGrain
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, UsageRecord> _records = new(StringComparer.Ordinal);

    public UsageRecord[] Records
    {
        get
        {
            lock (_gate)
            {
                return [.. _records.Values];
            }
        }
    }

    public Task RecordAsync(UsageRecord record)
    {
        lock (_gate)
        {
            _records.TryAdd(record.RequestId, record);
        }

        return Task.CompletedTask;
    }

    public async Task RecordManyAsync(UsageRecord[] records)
    {
        foreach (var record in records)
        {
            await RecordAsync(record);
        }
    }

    public Task<UsageRecord[]> GetRecordsAsync() => Task.FromResult(Records);

    public Task<UsageBucket[]> GetRollupAsync() => throw new NotSupportedException();

    public Task<UsageRecord[]> GetRecentAsync(UsageRecordFilter filter) => throw new NotSupportedException();
}
