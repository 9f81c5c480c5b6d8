using System.Collections.Concurrent;
using Cluster.Grains.Runtime;
using Microsoft.Extensions.Logging;

namespace Cluster.Relay.Accounting;

/// <summary>
/// Keeps the limiter leases of this front-end's running requests alive: every second it sends each
/// limiter the claims of the requests it holds there (one call per limiter). That renews them, and a
/// limiter that re-activated after its silo died counts again the leases it had not yet written
/// (see <c>ILimiterGrain.ReclaimAsync</c>). If this front-end dies the claims stop and its leases
/// lapse, so a concurrency slot is never held long by a lost request.
/// </summary>
internal sealed partial class LeaseRenewer : IDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<(string Limiter, string RequestId), LeaseClaim> _active = new();
    private readonly IGrainFactory _grains;
    private readonly TimeProvider _time;
    private readonly ILogger<LeaseRenewer> _logger;
    private readonly ITimer _timer;
    private int _renewing;

    public LeaseRenewer(IGrainFactory grains, TimeProvider time, ILogger<LeaseRenewer> logger)
    {
        _grains = grains;
        _time = time;
        _logger = logger;
        _timer = time.CreateTimer(_ => _ = RenewAsync(), null, Period, Period);
    }

    public void Track(string limiter, AdmissionRequest admission) =>
        _active.TryAdd((limiter, admission.RequestId), new LeaseClaim(admission, _time.GetUtcNow().ToUnixTimeSeconds()));

    public void Forget(string limiter, string requestId) => _active.TryRemove((limiter, requestId), out _);

    private async Task RenewAsync()
    {
        if (_active.IsEmpty || Interlocked.Exchange(ref _renewing, 1) == 1)
        {
            return;
        }

        try
        {
            foreach (var group in _active.GroupBy(k => k.Key.Limiter, k => k.Value))
            {
                try
                {
                    await _grains.Get<ILimiterGrain>(group.Key).ReclaimAsync([.. group]);
                }
                catch (Exception ex)
                {
                    LogRenewFailed(_logger, ex, group.Key);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _renewing, 0);
        }
    }

    public void Dispose() => _timer.Dispose();

    [LoggerMessage(40, LogLevel.Warning, "Renewing leases on limiter {Limiter} failed")]
    private static partial void LogRenewFailed(ILogger logger, Exception exception, string limiter);
}
