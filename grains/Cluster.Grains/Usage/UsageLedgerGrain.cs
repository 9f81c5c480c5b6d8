using Cluster.Grains.Errors;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Storage;

namespace Cluster.Grains.Usage;

/// <summary>
/// A ledger page with group commit: records that arrive while a write is in flight are all made
/// durable by the next single write, so storage sees a few writes per second however many requests
/// there are, and every caller returns only once its record is stored. Reentrant so records keep
/// arriving during a write; the write copies the state first so they do not disturb it.
/// </summary>
[Reentrant]
internal sealed partial class UsageLedgerGrain(
    [PersistentState("ledger", GrainStorage.Name)] IPersistentState<UsageLedgerState> state,
    ILogger<UsageLedgerGrain> logger) : Grain, IUsageLedgerGrain
{
    private readonly Dictionary<string, UsageRecord> _live = new(StringComparer.Ordinal);
    private Task? _writing;
    private Task? _queued;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var (id, record) in state.State.Records)
        {
            _live[id] = record;
        }

        return Task.CompletedTask;
    }

    public Task RecordAsync(UsageRecord record)
    {
        if (!_live.TryAdd(record.RequestId, record))
        {
            // Already recorded (or being recorded): wait for whatever write covers it.
            return _queued is { IsCompleted: false } ? _queued : _writing is { IsCompleted: false } ? _writing : Task.CompletedTask;
        }

        return CommitAsync();
    }

    public Task<UsageRecord[]> GetRecordsAsync() => Task.FromResult(_live.Values.ToArray());

    private Task CommitAsync()
    {
        if (_writing is null or { IsCompleted: true })
        {
            _writing = WriteAsync();
            return _writing;
        }

        // A write is in flight and copied the state before this record: join the next one. The
        // in-flight write cannot be complete here, so the queued one really waits for it.
        if (_queued is null or { IsCompleted: true })
        {
            _queued = WriteAfterAsync(_writing);
        }

        return _queued;
    }

    private async Task WriteAfterAsync(Task previous)
    {
        try
        {
            await previous;
        }
        catch (Exception)
        {
            // Its callers saw the failure; this write retries with everything so far.
        }

        _queued = null;
        _writing = WriteAsync();
        await _writing;
    }

    private async Task WriteAsync()
    {
        try
        {
            state.State = new UsageLedgerState { Records = new Dictionary<string, UsageRecord>(_live, StringComparer.Ordinal) };
            try
            {
                await state.WriteStateAsync();
            }
            catch (InconsistentStateException)
            {
                // Another activation wrote this page (a short overlap during membership changes):
                // merge what is stored with what we hold and write again.
                LogConflict(logger, this.GetPrimaryKeyString());
                await state.ReadStateAsync();
                foreach (var (id, record) in state.State.Records)
                {
                    _live.TryAdd(id, record);
                }

                state.State = new UsageLedgerState { Records = new Dictionary<string, UsageRecord>(_live, StringComparer.Ordinal) };
                await state.WriteStateAsync();
            }
        }
        catch (Exception ex) when (ex is not GatewayException)
        {
            LogWriteFailed(logger, ex, this.GetPrimaryKeyString());
            throw new GatewayException(GatewayErrorCode.ClusterUnavailable, "The usage ledger could not be written; the request was not completed.")
            {
                RetryAfter = TimeSpan.FromSeconds(2),
            };
        }
    }

    [LoggerMessage(30, LogLevel.Warning, "Ledger page {Page} was written by another activation; merged and retried")]
    private static partial void LogConflict(ILogger logger, string page);

    [LoggerMessage(31, LogLevel.Error, "Ledger page {Page} could not be written")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, string page);
}
