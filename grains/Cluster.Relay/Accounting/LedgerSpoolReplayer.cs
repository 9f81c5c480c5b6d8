using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Cluster.Relay.Accounting;

/// <summary>
/// Replays the <see cref="LedgerSpool"/> into the ledger: at start (records spooled before a
/// restart) and then every couple of seconds while there is anything spooled. A record that still
/// cannot be stored stays in the spool for the next round.
/// </summary>
internal sealed partial class LedgerSpoolReplayer(LedgerSpool spool, UsageRecorder recorder, TimeProvider time, ILogger<LedgerSpoolReplayer> logger) : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan StoreWindow = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        do
        {
            if (!recorder.Enabled || !spool.HasWork)
            {
                continue;
            }

            try
            {
                var replayed = await spool.ReplayAsync(record => recorder.StoreAsync(record, StoreWindow), stoppingToken).ConfigureAwait(false);
                if (replayed > 0)
                {
                    LogReplayed(logger, replayed, spool.Directory);
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogReplayFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(33, LogLevel.Information, "Replayed {Count} spooled usage records from {Directory} into the ledger")]
    private static partial void LogReplayed(ILogger logger, int count, string directory);

    [LoggerMessage(34, LogLevel.Warning, "Replaying the ledger spool failed; trying again shortly")]
    private static partial void LogReplayFailed(ILogger logger, Exception exception);
}
