using Cluster.Grains.Runtime;
using Cluster.Relay.Cluster;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cluster.Relay.Accounting;

/// <summary>
/// Makes a finished request's record durable before its response ends. The record goes to its
/// ledger page, resent (it is idempotent by request id) while the cluster moves the page off a silo
/// that died; if the page has not stored it within <see cref="UsageOptions.DurableWait"/> (storage
/// unreachable, or the cluster still recovering), it goes to this front-end's <see cref="LedgerSpool"/>
/// on local disk, and the spool replays it into the ledger later. A record is never dropped silently:
/// only a failing local disk on top of an unreachable ledger fails the response. Records for one page
/// travel together: one call in flight per page (the page writes one chunk at a time), the records
/// that arrive meanwhile go in the next.
/// </summary>
internal sealed partial class UsageRecorder
{
    private readonly IGrainFactory _grains;
    private readonly LedgerSpool _spool;
    private readonly UsageOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<UsageRecorder> _logger;
    private readonly CallBatcher<UsageRecord, bool> _batches;

    public UsageRecorder(IGrainFactory grains, LedgerSpool spool, IOptions<UsageOptions> options, TimeProvider time, ILogger<UsageRecorder> logger)
    {
        (_grains, _spool, _options, _time, _logger) = (grains, spool, options.Value, time, logger);
        _batches = new CallBatcher<UsageRecord, bool>(async (page, records) =>
        {
            var ledger = _grains.Get<IUsageLedgerGrain>(page);
            await ClusterCalls.RetryAsync(() => ledger.RecordManyAsync(records), _options.DurableWait, _time, IsUnavailable).ConfigureAwait(false);
            return new bool[records.Length];
        });
    }

    public bool Enabled => _options.Enabled;

    public async Task RecordAsync(UsageRecord record)
    {
        if (!_options.Enabled)
        {
            return;
        }

        try
        {
            await _batches.SendAsync(UsageLedger.KeyOf(record, _options.LedgerShards), record).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            _spool.Append(record);
            LogSpooled(_logger, record.RequestId, ex.GetType().Name);
        }
    }

    /// <summary>Stores a record in its ledger page, resending while the page is unreachable, for up to <paramref name="window"/>.</summary>
    public Task StoreAsync(UsageRecord record, TimeSpan window)
    {
        var page = _grains.Get<IUsageLedgerGrain>(UsageLedger.KeyOf(record, _options.LedgerShards));
        return ClusterCalls.RetryAsync(() => page.RecordAsync(record), window, _time, IsUnavailable);
    }

    /// <summary>The ledger could not be reached, or its storage could not be written: worth trying again later.</summary>
    public static bool IsUnavailable(Exception exception) =>
        ClusterCalls.IsTransient(exception) || exception is GatewayException { Code: GatewayErrorCode.ClusterUnavailable };

    [LoggerMessage(30, LogLevel.Warning, "The ledger did not store request {RequestId} in time ({Reason}); spooled locally, to be replayed")]
    private static partial void LogSpooled(ILogger logger, string requestId, string reason);
}
