using System.Collections.Concurrent;
using Cluster.Grains.Models;
using Cluster.Grains.Runtime;
using Cluster.Relay.Routing.Strategies;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cluster.Relay.Routing;

/// <summary>
/// Orders a model's deployments for one request by the model's routing strategy. It routes on the
/// cluster's view of each deployment, learned from the deployments' status grains about once a
/// second (circuit state, in-flight requests on every front-end) plus this front-end's exact counts since;
/// so no grain call is added to a request. Deployments whose circuit is open are left out; a
/// half-open one is offered, first, to the one request that won the probe.
/// </summary>
internal sealed partial class DeploymentBalancer : IDeploymentLoads, IDisposable
{
    private static readonly TimeSpan KeepReporting = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, DeploymentLoad> _loads = new(StringComparer.Ordinal);
    private readonly RoutingStrategies _strategies;
    private readonly IGrainFactory _grains;
    private readonly RoutingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<DeploymentBalancer> _logger;
    private readonly string _reporter = Guid.NewGuid().ToString("N");
    private readonly PrefixHomes _homes;
    private readonly ITimer _sync;
    private int _syncing;

    public DeploymentBalancer(IGrainFactory grains, IOptions<RoutingOptions> options, TimeProvider time, ILogger<DeploymentBalancer> logger)
    {
        _grains = grains;
        _options = options.Value;
        _strategies = new RoutingStrategies(_options);
        _time = time;
        _logger = logger;
        _homes = new PrefixHomes(grains, _options, time, logger);
        var period = _options.StatusSync;
        _sync = time.CreateTimer(_ => _ = SyncAsync(), null, period, period);
    }

    /// <summary>The deployments to try, best first; empty when every circuit is open. <paramref name="prompt"/> is what prefix-aware routing places by.</summary>
    public IReadOnlyList<DeploymentDefinition> Order(ModelDefinition model, PromptBlocks? prompt = null)
    {
        prompt ??= PromptBlocks.None;
        var deployments = model.Deployments;
        List<DeploymentDefinition>? usable = null;
        DeploymentDefinition? probe = null;
        for (var i = 0; i < deployments.Length; i++)
        {
            var deployment = deployments[i];
            var load = LoadOf(deployment);
            switch (load.Status.State)
            {
                case CircuitState.Closed:
                    usable?.Add(deployment);
                    continue;
                case CircuitState.HalfOpen when probe is null && Interlocked.Exchange(ref load.ProbeAllowed, 0) == 1:
                    probe = deployment;
                    break;
            }

            // Not every deployment is usable: from here on, collect the usable ones.
            usable ??= [.. deployments[..i].Where(d => LoadOf(d).Status.State == CircuitState.Closed)];
        }

        if (usable is null && probe is null)
        {
            // The common case: all closed.
            return deployments.Length <= 1 ? deployments : Ranked(model, deployments, prompt);
        }

        var ranked = Ranked(model, [.. usable ?? []], prompt);
        return probe is null ? ranked : [probe, .. ranked];
    }

    /// <summary>
    /// Before <see cref="Order"/>, for a prefix-aware model with several deployments: makes sure the
    /// prompt's prefix has a home in this front-end's view, asking the model's prefix-homes grain the
    /// first time (<see cref="PrefixHomes.EnsureAsync"/>). Completes at once otherwise.
    /// </summary>
    public ValueTask PrepareAsync(ModelDefinition model, PromptBlocks? prompt, CancellationToken cancellationToken) =>
        prompt is { Count: > 0 } && model.Deployments.Length > 1 && _strategies.For(model) is PrefixAwareStrategy
            ? _homes.EnsureAsync(model, prompt.Anchor, cancellationToken)
            : ValueTask.CompletedTask;

    /// <summary>When the first open circuit of <paramref name="model"/> lets requests through again.</summary>
    public TimeSpan? CooldownRemaining(ModelDefinition model)
    {
        var now = _time.GetUtcNow();
        var soonest = model.Deployments.Select(d => LoadOf(d).Status.CooldownUntil).Where(u => u is not null).Min();
        return soonest is { } until && until > now ? until - now : null;
    }

    /// <summary>Counts a request against a deployment until the attempt is disposed; the attempt records the outcome.</summary>
    public DeploymentAttempt Begin(DeploymentDefinition deployment)
    {
        var load = LoadOf(deployment);
        Interlocked.Increment(ref load.InFlight);
        Interlocked.Increment(ref load.Waiting);
        load.LastActive = _time.GetTimestamp();
        return new DeploymentAttempt(this, load, deployment.Id);
    }

    /// <summary>
    /// An attempt of <paramref name="model"/>'s request on <paramref name="deployment"/>: counted in
    /// flight, and for a prefix-aware model its prompt's blocks are counted as cached there from now
    /// on (so requests ranked meanwhile see them), to be corrected by what the backend reports
    /// (<see cref="DeploymentAttempt.RecordUsage"/>).
    /// </summary>
    public DeploymentAttempt Begin(ModelDefinition model, DeploymentDefinition deployment, PromptBlocks? prompt)
    {
        var attempt = Begin(deployment);
        if (prompt is { Count: > 0 } && model.Deployments.Length > 1 && _strategies.For(model) is PrefixAwareStrategy)
        {
            attempt.Prompt = prompt;
            attempt.Predicted = CacheOf(deployment).Record(prompt);
            _homes.Count(model.Name, prompt.Anchor);
        }

        attempt.Model = model.Name;
        return attempt;
    }

    /// <summary>
    /// Whether a session's pin should give way to the first of <paramref name="order"/> (a
    /// prefix-aware model only; see <see cref="PrefixAwareStrategy.PinYields"/>).
    /// </summary>
    public bool PinYields(ModelDefinition model, PromptBlocks? prompt, IReadOnlyList<DeploymentDefinition> order, string pinned)
    {
        if (order.Count < 2 || _strategies.For(model) is not PrefixAwareStrategy strategy || order.FirstOrDefault(d => d.Id == pinned) is not { } pin)
        {
            return false;
        }

        return strategy.PinYields([.. order], this, prompt ?? PromptBlocks.None, pin, order[0]);
    }

    /// <summary>What this front-end believes <paramref name="deployment"/>'s prefix cache holds.</summary>
    public PrefixCacheEstimate CacheOf(DeploymentDefinition deployment)
    {
        var load = LoadOf(deployment);
        if (Volatile.Read(ref load.Cache) is { } cache)
        {
            return cache;
        }

        Interlocked.CompareExchange(ref load.Cache, new PrefixCacheEstimate(deployment.CacheTokens), null);
        return load.Cache!;
    }

    public DeploymentStatus StatusOf(DeploymentDefinition deployment) => LoadOf(deployment).Status;

    private IReadOnlyList<DeploymentDefinition> Ranked(ModelDefinition model, DeploymentDefinition[] deployments, PromptBlocks prompt) =>
        deployments.Length <= 1 ? deployments : _strategies.For(model).Order(model, deployments, this, prompt);

    int IDeploymentLoads.ClusterInFlight(DeploymentDefinition deployment) => LoadOf(deployment).ClusterInFlight;

    int IDeploymentLoads.ClusterWaiting(DeploymentDefinition deployment) => LoadOf(deployment).ClusterWaiting;

    double IDeploymentLoads.FirstTokenMs(DeploymentDefinition deployment) => LoadOf(deployment).FirstTokenMs;

    string? IDeploymentLoads.PrefixHome(ModelDefinition model, ulong anchor) => _homes.HomeOf(model.Name, anchor);

    PrefixCacheEstimate IDeploymentLoads.CacheOf(DeploymentDefinition deployment) => CacheOf(deployment);

    private DeploymentLoad LoadOf(DeploymentDefinition deployment) =>
        _loads.GetOrAdd(deployment.Id, static (_, d) => new DeploymentLoad(d.BaseUrl), deployment);

    private async Task SyncAsync()
    {
        if (Interlocked.Exchange(ref _syncing, 1) == 1)
        {
            return;
        }

        try
        {
            foreach (var (id, load) in _loads)
            {
                if (load.InFlight > 0 || load.Status.State != CircuitState.Closed || _time.GetElapsedTime(load.LastActive) < KeepReporting)
                {
                    await ReportAsync(id, load);
                }
            }

            await _homes.ReportAsync();
        }
        finally
        {
            Volatile.Write(ref _syncing, 0);
        }
    }

    private async Task ReportAsync(string id, DeploymentLoad load)
    {
        var report = load.TakeReport(_reporter);
        var recoveries = Volatile.Read(ref load.Recoveries);
        try
        {
            var grain = _grains.Get<IDeploymentStatusGrain>(id);
            var status = await grain.ReportAsync(report, _options.Policy(load.BaseUrl));
            load.Update(status, report.InFlight, report.Waiting, recoveries);
            if (status.State == CircuitState.HalfOpen && await grain.TryProbeAsync())
            {
                Volatile.Write(ref load.ProbeAllowed, 1);
            }
        }
        catch (Exception ex)
        {
            load.Restore(report);
            LogSyncFailed(_logger, ex, id);
        }
    }

    public void Dispose() => _sync.Dispose();

    [LoggerMessage(60, LogLevel.Warning, "Reporting deployment {DeploymentId} to its status grain failed")]
    private static partial void LogSyncFailed(ILogger logger, Exception exception, string deploymentId);

    internal sealed class DeploymentLoad(string? baseUrl)
    {
        public int InFlight;

        /// <summary>Of <see cref="InFlight"/>, the attempts still waiting for their first token.</summary>
        public int Waiting;
        public int ProbeAllowed;

        /// <summary>Created on the first prefix-aware request to the deployment.</summary>
        public PrefixCacheEstimate? Cache;

        /// <summary>Counts local recoveries, so an answer the status grain gave before one cannot undo it.</summary>
        public int Recoveries;
        public long LastActive;
        private int _successes;
        private int _failures;
        private string? _lastFailure;
        private TimeSpan? _throttledFor;
        private int _reportedInFlight;
        private int _reportedWaiting;

        public string? BaseUrl { get; } = baseUrl;

        public DeploymentStatus Status { get; private set; } = DeploymentStatus.Healthy;

        public double FirstTokenMs { get; private set; }

        /// <summary>In flight across the cluster: others' count at the last sync plus ours now.</summary>
        public int ClusterInFlight => Math.Max(0, Status.ClusterInFlight - _reportedInFlight) + Volatile.Read(ref InFlight);

        /// <summary>Waiting for their first token across the cluster: others' count at the last sync plus ours now.</summary>
        public int ClusterWaiting => Math.Max(0, Status.ClusterWaiting - _reportedWaiting) + Math.Max(0, Volatile.Read(ref Waiting));

        public void RecordFirstToken(TimeSpan elapsed)
        {
            // Exponential moving average; races between threads only blur it slightly.
            var previous = FirstTokenMs;
            FirstTokenMs = previous == 0 ? elapsed.TotalMilliseconds : (0.8 * previous) + (0.2 * elapsed.TotalMilliseconds);
        }

        public void RecordSuccess() => Interlocked.Increment(ref _successes);

        public void RecordFailure(string reason, TimeSpan? throttledFor)
        {
            Interlocked.Increment(ref _failures);
            _lastFailure = reason;
            if (throttledFor is not null)
            {
                _throttledFor = throttledFor;
            }
        }

        public DeploymentReport TakeReport(string reporter) => new(
            reporter,
            Volatile.Read(ref InFlight),
            Interlocked.Exchange(ref _successes, 0),
            Interlocked.Exchange(ref _failures, 0),
            Interlocked.Exchange(ref _lastFailure, null),
            TakeThrottle())
        {
            Waiting = Math.Max(0, Volatile.Read(ref Waiting)),
        };

        public void Restore(DeploymentReport report)
        {
            Interlocked.Add(ref _successes, report.Successes);
            Interlocked.Add(ref _failures, report.Failures);
        }

        public void Update(DeploymentStatus status, int reportedInFlight, int reportedWaiting, int recoveriesBefore)
        {
            // A not-closed answer to a report sent before a probe succeeded here is out of date.
            if (status.State == CircuitState.Closed || Volatile.Read(ref Recoveries) == recoveriesBefore)
            {
                Status = status;
            }

            _reportedInFlight = reportedInFlight;
            _reportedWaiting = reportedWaiting;
        }

        /// <summary>The probe succeeded: route to the deployment at once, before the status grain has heard.</summary>
        public bool Recover()
        {
            var status = Status;
            if (status.State == CircuitState.Closed)
            {
                return false;
            }

            Interlocked.Increment(ref Recoveries);
            Status = status with { State = CircuitState.Closed, CooldownUntil = null };
            return true;
        }

        private TimeSpan? TakeThrottle()
        {
            var throttled = _throttledFor;
            _throttledFor = null;
            return throttled;
        }
    }

    /// <summary>One attempt of a request on a deployment: counted in flight while it lasts; records how it went.</summary>
    internal sealed class DeploymentAttempt(DeploymentBalancer balancer, DeploymentLoad load, string id) : IDisposable
    {
        private int _disposed;
        private int _started;

        /// <summary>The model the attempt serves, when known: names the prefix-cache metrics.</summary>
        public string? Model { get; set; }

        /// <summary>The prompt recorded in the deployment's cache estimate, and how much of it the estimate held before.</summary>
        public PromptBlocks? Prompt { get; set; }

        public int Predicted { get; set; }

        public void RecordFirstToken(TimeSpan elapsed)
        {
            load.RecordFirstToken(elapsed);
            Started();
        }

        /// <summary>
        /// The usage the backend reported: its cached tokens count toward the hit-rate metrics and
        /// correct the cache estimate. Usage the gateway estimated itself says nothing about the cache.
        /// </summary>
        public void RecordUsage(TokenUsage usage)
        {
            if (usage.Estimated || usage.CachedTokens is not { } cached || Model is null)
            {
                return;
            }

            PrefixCacheMetrics.RecordUsage(Model, id, usage.PromptTokens, cached);
            if (Prompt is { } prompt)
            {
                load.Cache?.Correct(prompt, Predicted, usage.PromptTokens, cached);
            }
        }

        public void Succeeded()
        {
            load.RecordSuccess();
            if (load.Recover())
            {
                // A successful probe closes the circuit here at once and at the status grain now,
                // not at the next sync: otherwise requests meanwhile get 503 from a healthy backend.
                _ = balancer.ReportAsync(id, load);
            }
        }

        /// <summary>Counts a failure and tells the deployment's status grain at once, so the circuit can open without waiting for the next sync.</summary>
        public void Failed(string reason, TimeSpan? throttledFor)
        {
            load.RecordFailure(reason, throttledFor);
            _ = balancer.ReportAsync(id, load);
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Started();
                Interlocked.Decrement(ref load.InFlight);
            }
        }

        /// <summary>No longer waiting for the first token (it came, or the attempt ended): counted once.</summary>
        private void Started()
        {
            if (Interlocked.Exchange(ref _started, 1) == 0)
            {
                Interlocked.Decrement(ref load.Waiting);
            }
        }
    }
}
