using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Cluster.Relay.Accounting;

/// <summary>
/// Keeps the limiter leases of this silo's running requests alive: every 30 s it renews them, one
/// call per limiter. If the silo dies the renewals stop and the leases lapse, so a concurrency
/// slot is never held for longer than <see cref="LimiterGrain.LeaseLifetime"/> by a lost request.
/// </summary>
internal sealed partial class LeaseKeeper : IDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<(string Limiter, string RequestId), byte> _active = new();
    private readonly IGrainFactory _grains;
    private readonly ILogger<LeaseKeeper> _logger;
    private readonly ITimer _timer;

    public LeaseKeeper(IGrainFactory grains, TimeProvider time, ILogger<LeaseKeeper> logger)
    {
        _grains = grains;
        _logger = logger;
        _timer = time.CreateTimer(_ => _ = RenewAsync(), null, Period, Period);
    }

    public void Track(string limiter, string requestId) => _active.TryAdd((limiter, requestId), 0);

    public void Forget(string limiter, string requestId) => _active.TryRemove((limiter, requestId), out _);

    private async Task RenewAsync()
    {
        foreach (var group in _active.Keys.GroupBy(k => k.Limiter))
        {
            try
            {
                await _grains.GetGrain<ILimiterGrain>(group.Key).RenewAsync([.. group.Select(k => k.RequestId)]);
            }
            catch (Exception ex)
            {
                LogRenewFailed(_logger, ex, group.Key);
            }
        }
    }

    public void Dispose() => _timer.Dispose();

    [LoggerMessage(40, LogLevel.Warning, "Renewing leases on limiter {Limiter} failed")]
    private static partial void LogRenewFailed(ILogger logger, Exception exception, string limiter);
}
