using Cluster.Grains.Responses;
using Microsoft.Extensions.Options;

namespace Cluster.Api.Responses;

/// <summary>
/// Every <c>Responses:CleanupIntervalMinutes</c>, asks the cluster's retention root to delete the
/// stored responses whose <c>Responses:RetentionDays</c> have passed (see
/// <see cref="IResponseRetentionGrain"/>). Every front-end runs one; the root takes the sweeps one
/// at a time, and a sweep that finds nothing due is cheap.
/// </summary>
internal sealed partial class ResponseRetentionSweeper(
    IGrainFactory grains,
    TimeProvider time,
    IOptions<ResponsesOptions> options,
    ILogger<ResponseRetentionSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.CleanupInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, time, stoppingToken);
                var deleted = await grains.GetGrain<IResponseRetentionGrain>(0).SweepAsync(time.GetUtcNow().ToUnixTimeMilliseconds());
                if (deleted > 0)
                {
                    LogSwept(logger, deleted);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The next round tries again; nothing is lost, the index keeps what was not swept.
                LogSweepFailed(logger, ex);
            }
        }
    }

    [LoggerMessage(1, LogLevel.Information, "Retention sweep deleted {Count} expired responses")]
    private static partial void LogSwept(ILogger logger, int count);

    [LoggerMessage(2, LogLevel.Warning, "The retention sweep failed; it runs again at the next interval")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
