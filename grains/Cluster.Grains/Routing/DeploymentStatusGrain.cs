using Microsoft.Extensions.Logging;

namespace Cluster.Grains.Routing;

/// <summary>
/// A deployment's circuit breaker and cluster-wide in-flight count. Silos report about once a
/// second; failures open the circuit for a cooldown; then one probe request (or a passing health
/// check) decides whether it closes again. In memory: after a silo loss it starts closed, which
/// costs at most one more round of failures to reopen.
/// </summary>
internal sealed partial class DeploymentStatusGrain(TimeProvider time, ILogger<DeploymentStatusGrain> logger) : Grain, IDeploymentStatusGrain
{
    /// <summary>Connections for active health checks (backends are addressed directly, never through a proxy).</summary>
    private static readonly HttpMessageInvoker HealthHttp = new(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5), UseProxy = false, AllowAutoRedirect = false });

    private static readonly TimeSpan ReporterSilence = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(30);
    private readonly Dictionary<string, (int InFlight, int Waiting, DateTimeOffset At)> _reporters = new(StringComparer.Ordinal);
    private readonly Queue<DateTimeOffset> _failures = new();
    private CircuitState _state;
    private DateTimeOffset? _cooldownUntil;
    private DateTimeOffset? _probeSince;
    private string? _lastFailure;
    private CircuitPolicy? _policy;
    private IGrainTimer? _healthCheck;

    public Task<DeploymentStatus> ReportAsync(DeploymentReport report, CircuitPolicy policy)
    {
        var now = time.GetUtcNow();
        _policy = policy;
        EnsureHealthCheck(policy);
        _reporters[report.Reporter] = (report.InFlight, report.Waiting, now);
        if (report.LastFailure is not null)
        {
            _lastFailure = report.LastFailure;
        }

        if (report.ThrottledFor is { } throttled)
        {
            // The backend said when to come back: honour it exactly.
            Open(now, throttled, "throttled by the backend");
        }

        for (var i = 0; i < report.Failures; i++)
        {
            _failures.Enqueue(now);
        }

        Advance(now, report.Successes, report.Failures);
        return Task.FromResult(Status(now));
    }

    public Task<bool> TryProbeAsync()
    {
        var now = time.GetUtcNow();
        Advance(now, 0, 0);
        if (_state != CircuitState.HalfOpen || (_probeSince is { } since && now - since < ProbeTimeout))
        {
            return Task.FromResult(false);
        }

        _probeSince = now;
        return Task.FromResult(true);
    }

    public Task<DeploymentStatus> GetAsync() => Task.FromResult(Status(time.GetUtcNow()));

    private void Advance(DateTimeOffset now, int successes, int failures)
    {
        var policy = _policy;
        if (policy is null)
        {
            return;
        }

        while (_failures.TryPeek(out var oldest) && now - oldest > policy.FailureWindow)
        {
            _failures.Dequeue();
        }

        switch (_state)
        {
            case CircuitState.Closed when _failures.Count >= policy.FailureThreshold:
                Open(now, policy.Cooldown, _lastFailure);
                break;
            case CircuitState.Open when now >= _cooldownUntil:
                _state = CircuitState.HalfOpen;
                _probeSince = null;
                LogHalfOpen(logger, this.GetPrimaryKeyString());
                break;
            case CircuitState.HalfOpen when failures > 0:
                Open(now, policy.Cooldown, _lastFailure);
                break;
            case CircuitState.HalfOpen when successes > 0:
                Close();
                break;
        }
    }

    private void Open(DateTimeOffset now, TimeSpan cooldown, string? reason)
    {
        var until = now + cooldown;
        if (_state == CircuitState.Open && _cooldownUntil >= until)
        {
            return;
        }

        _state = CircuitState.Open;
        _cooldownUntil = until;
        _probeSince = null;
        _failures.Clear();
        LogOpened(logger, this.GetPrimaryKeyString(), cooldown.TotalSeconds, reason ?? "failures");
    }

    private void Close()
    {
        _state = CircuitState.Closed;
        _cooldownUntil = null;
        _probeSince = null;
        _failures.Clear();
        LogClosed(logger, this.GetPrimaryKeyString());
    }

    private DeploymentStatus Status(DateTimeOffset now)
    {
        int inFlight = 0, waiting = 0;
        foreach (var (reporter, (count, queued, at)) in _reporters.ToArray())
        {
            if (now - at > ReporterSilence)
            {
                _reporters.Remove(reporter);
            }
            else
            {
                inFlight += count;
                waiting += queued;
            }
        }

        return new DeploymentStatus(_state, _cooldownUntil, inFlight, _lastFailure) { ClusterWaiting = waiting };
    }

    private void EnsureHealthCheck(CircuitPolicy policy)
    {
        if (_healthCheck is not null || policy.HealthCheckInterval is not { } interval || policy.HealthCheckUrl is null)
        {
            return;
        }

        _healthCheck = this.RegisterGrainTimer(CheckHealthAsync, new GrainTimerCreationOptions(interval, interval) { Interleave = true });
    }

    private async Task CheckHealthAsync(CancellationToken cancellationToken)
    {
        var policy = _policy!;
        bool healthy;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            using var request = new HttpRequestMessage(HttpMethod.Get, policy.HealthCheckUrl);
            using var response = await HealthHttp.SendAsync(request, timeout.Token);
            healthy = response.IsSuccessStatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
        {
            healthy = false;
        }

        var now = time.GetUtcNow();
        if (healthy)
        {
            if (_state != CircuitState.Closed && now >= _cooldownUntil)
            {
                Close();
            }
        }
        else
        {
            _lastFailure = "health check failed";
            _failures.Enqueue(now);
            Advance(now, 0, 1);
        }
    }

    [LoggerMessage(50, LogLevel.Warning, "Deployment {DeploymentId} is out for {Seconds} s: {Reason}")]
    private static partial void LogOpened(ILogger logger, string deploymentId, double seconds, string reason);

    [LoggerMessage(51, LogLevel.Information, "Deployment {DeploymentId} cooled down; one probe request may go through")]
    private static partial void LogHalfOpen(ILogger logger, string deploymentId);

    [LoggerMessage(52, LogLevel.Information, "Deployment {DeploymentId} is back in service")]
    private static partial void LogClosed(ILogger logger, string deploymentId);
}
