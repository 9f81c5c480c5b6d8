using Microsoft.Extensions.Options;

namespace Cluster.Grains.Usage;

/// <summary>Sends a finished request's record to its ledger page, when the ledger is on.</summary>
internal sealed class UsageRecorder(IGrainFactory grains, IOptions<UsageOptions> options)
{
    private readonly UsageOptions _options = options.Value;

    public Task RecordAsync(UsageRecord record) => _options.Enabled
        ? grains.GetGrain<IUsageLedgerGrain>(UsageLedger.KeyOf(record, _options.LedgerShards)).RecordAsync(record)
        : Task.CompletedTask;
}
