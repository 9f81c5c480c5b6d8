using Cluster.Grains.Models;
using Cluster.Grains.Routing;
using Cluster.Relay.Routing;
using Cluster.Relay.Routing.Strategies;
using Cluster.Tests.Support;
using Cluster.Tests.Support.InMemory;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Cluster.Tests.Relay.Routing;

/// <summary>The balancer on a fake clock, its deployments' status grains in memory. No cluster.</summary>
[Trait("Category", "Unit")]
public sealed class DeploymentBalancerTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private static readonly RoutingOptions Options = new();
    private static readonly DeploymentDefinition D1 = UnitRelay.Deployment("d1");
    private static readonly DeploymentDefinition D2 = UnitRelay.Deployment("d2");
    private static readonly ModelDefinition Model = UnitRelay.Model("m", D1, D2);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 5, 12, 0, 0, TimeSpan.Zero));
    private readonly InMemoryGrainFactory _grains;
    private readonly DeploymentBalancer _balancer;

    public DeploymentBalancerTests()
    {
        _grains = new InMemoryGrainFactory().Register<IDeploymentStatusGrain>(key => new InMemoryDeploymentStatusGrain(key, _time));
        _balancer = new DeploymentBalancer(_grains, Microsoft.Extensions.Options.Options.Create(Options), _time, NullLogger<DeploymentBalancer>.Instance);
    }

    public void Dispose() => _balancer.Dispose();

    [Fact]
    public void Order_EveryCircuitClosed_OffersEveryDeployment()
    {
        Assert.Equal(["d1", "d2"], _balancer.Order(Model).Select(d => d.Id).Order());
    }

    [Fact]
    public async Task Order_StatusGrainOpensTheCircuit_DeploymentLeftOutAfterTheNextSync()
    {
        Status("d1").Status = new DeploymentStatus(CircuitState.Open, _time.GetUtcNow().AddSeconds(30), 0, "HTTP 500");
        _balancer.Begin(D1).Dispose();

        await SyncAsync(() => _balancer.StatusOf(D1).State == CircuitState.Open);

        Assert.Equal(["d2"], _balancer.Order(Model).Select(d => d.Id));
    }

    [Fact]
    public async Task CooldownRemaining_OpenCircuit_CountsDownOnTheClock()
    {
        var until = _time.GetUtcNow().AddSeconds(30);
        Status("d1").Status = new DeploymentStatus(CircuitState.Open, until, 0, "HTTP 500");
        _balancer.Begin(D1).Dispose();
        await SyncAsync(() => _balancer.StatusOf(D1).State == CircuitState.Open);

        Assert.Equal(until - _time.GetUtcNow(), _balancer.CooldownRemaining(Model));
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(until - _time.GetUtcNow(), _balancer.CooldownRemaining(Model));
        Assert.True(_balancer.CooldownRemaining(Model) <= TimeSpan.FromSeconds(20));

        _time.Advance(until - _time.GetUtcNow());
        Assert.Null(_balancer.CooldownRemaining(Model));
    }

    [Fact]
    public async Task Order_HalfOpenWithTheProbe_ProbeOfferedFirstToOneRequestOnly()
    {
        var status = Status("d1");
        status.Status = new DeploymentStatus(CircuitState.HalfOpen, null, 0, "HTTP 500");
        status.ProbeAvailable = true;
        _balancer.Begin(D1).Dispose();
        await SyncAsync(() => _balancer.StatusOf(D1).State == CircuitState.HalfOpen && !status.ProbeAvailable);

        var first = _balancer.Order(Model);
        var second = _balancer.Order(Model);

        Assert.Equal(["d1", "d2"], first.Select(d => d.Id));
        Assert.Equal(["d2"], second.Select(d => d.Id));
    }

    [Fact]
    public async Task Succeeded_ProbeServed_CircuitClosedHereAtOnceAndReported()
    {
        var status = Status("d1");
        status.Status = new DeploymentStatus(CircuitState.HalfOpen, null, 0, "HTTP 500");
        _balancer.Begin(D1).Dispose();
        await SyncAsync(() => _balancer.StatusOf(D1).State == CircuitState.HalfOpen);
        var reportsBefore = status.Reports.Count;
        status.Status = DeploymentStatus.Healthy;

        using (var attempt = _balancer.Begin(D1))
        {
            attempt.Succeeded();
        }

        Assert.Equal(CircuitState.Closed, _balancer.StatusOf(D1).State);
        Assert.Contains("d1", _balancer.Order(Model).Select(d => d.Id));
        var report = Assert.Single(status.Reports.Snapshot()[reportsBefore..]);
        Assert.Equal(1, report.Successes);
    }

    [Fact]
    public void Failed_Throttled_ReportedAtOnceWithTheBackendsWait()
    {
        using (var attempt = _balancer.Begin(D1))
        {
            attempt.Failed("RateLimited", TimeSpan.FromSeconds(9));
        }

        var report = Assert.Single(Status("d1").Reports);
        Assert.Equal((1, "RateLimited", TimeSpan.FromSeconds(9)), (report.Failures, report.LastFailure, report.ThrottledFor));
        Assert.Equal(CircuitState.Open, _balancer.StatusOf(D1).State);
        Assert.Equal(TimeSpan.FromSeconds(9), _balancer.CooldownRemaining(Model));
    }

    [Fact]
    public void Begin_AttemptDisposedTwice_CountedInFlightOnce()
    {
        var loads = (IDeploymentLoads)_balancer;

        var attempt = _balancer.Begin(D1);
        using (_balancer.Begin(D1))
        {
            Assert.Equal(2, loads.ClusterInFlight(D1));
        }

        attempt.Dispose();
        attempt.Dispose();

        Assert.Equal(0, loads.ClusterInFlight(D1));
        Assert.Equal(0, loads.ClusterInFlight(D2));
    }

    [Fact]
    public async Task ClusterInFlight_OtherFrontEndsCounts_AddedToOurOwn()
    {
        Status("d1").Status = DeploymentStatus.Healthy with { ClusterInFlight = 5 };
        using var ours = _balancer.Begin(D1);

        // The grain's 5 include our 1, reported at the sync: others 4, plus ours now.
        await SyncAsync(() => _balancer.StatusOf(D1).ClusterInFlight == 5);

        Assert.Equal(5, ((IDeploymentLoads)_balancer).ClusterInFlight(D1));
        using var another = _balancer.Begin(D1);
        Assert.Equal(6, ((IDeploymentLoads)_balancer).ClusterInFlight(D1));
    }

    private InMemoryDeploymentStatusGrain Status(string id) => (InMemoryDeploymentStatusGrain)_grains.GetGrain<IDeploymentStatusGrain>(id);

    /// <summary>Moves the clock a sync period at a time until the balancer has learned what it is waiting for.</summary>
    private Task SyncAsync(Func<bool> learned) =>
        Eventually.UntilAsync(
            () =>
            {
                _time.Advance(TimeSpan.FromMilliseconds(Options.StatusSyncMilliseconds));
                return learned();
            },
            "the balancer to sync with the status grains",
            Wait);
}
