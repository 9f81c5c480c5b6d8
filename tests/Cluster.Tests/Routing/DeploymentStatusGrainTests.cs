using Cluster.Grains.Routing;

namespace Cluster.Tests.Routing;

/// <summary>
/// The circuit breaker and the cluster-wide in-flight count of one deployment, driven the way the
/// silos drive it (reports and probe requests), on fake time.
/// </summary>
[Collection(RoutingClusterFixture.Name)]
public sealed class DeploymentStatusGrainTests(RoutingClusterFixture fixture)
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Cooldown = TimeSpan.FromSeconds(10);
    private static readonly CircuitPolicy Policy = new(FailureThreshold: 3, Window, Cooldown, HealthCheckInterval: null, HealthCheckUrl: null);

    [Fact]
    public async Task Report_ThresholdFailuresWithinWindow_OpensForCooldown()
    {
        var grain = NewDeployment();

        var afterTwo = await grain.ReportAsync(Failures(2), Policy);
        fixture.Time.Advance(TimeSpan.FromSeconds(20));
        var now = fixture.Time.GetUtcNow();
        var afterThree = await grain.ReportAsync(Failures(1, "boom"), Policy);

        Assert.Equal(CircuitState.Closed, afterTwo.State);
        Assert.Equal(CircuitState.Open, afterThree.State);
        Assert.Equal(now + Cooldown, afterThree.CooldownUntil);
        Assert.Equal("boom", afterThree.LastFailure);
        Assert.Equal(CircuitState.Open, (await grain.GetAsync()).State);
    }

    [Fact]
    public async Task Report_FailuresOlderThanWindow_DoNotCount()
    {
        var grain = NewDeployment();

        await grain.ReportAsync(Failures(2), Policy);
        fixture.Time.Advance(Window + TimeSpan.FromSeconds(1));
        var afterLate = await grain.ReportAsync(Failures(1), Policy);
        fixture.Time.Advance(TimeSpan.FromSeconds(5));
        var afterThreeInWindow = await grain.ReportAsync(Failures(2), Policy);

        Assert.Equal(CircuitState.Closed, afterLate.State);
        Assert.Equal(CircuitState.Open, afterThreeInWindow.State);
    }

    [Fact]
    public async Task Report_ManySuccessesBetweenFailures_FailuresStillOpenAtThreshold()
    {
        var grain = NewDeployment();

        await grain.ReportAsync(Failures(2), Policy);
        var closed = await grain.ReportAsync(Report(successes: 50), Policy);
        var open = await grain.ReportAsync(Failures(1), Policy);

        Assert.Equal(CircuitState.Closed, closed.State);
        Assert.Equal(CircuitState.Open, open.State);
    }

    [Fact]
    public async Task Report_AfterCooldown_HalfOpen()
    {
        var grain = NewDeployment();
        await grain.ReportAsync(Failures(3), Policy);

        fixture.Time.Advance(Cooldown - TimeSpan.FromMilliseconds(100));
        var cooling = await grain.ReportAsync(Report(), Policy);
        fixture.Time.Advance(TimeSpan.FromMilliseconds(100));
        var cooled = await grain.ReportAsync(Report(), Policy);

        Assert.Equal(CircuitState.Open, cooling.State);
        Assert.Equal(CircuitState.HalfOpen, cooled.State);
    }

    [Fact]
    public async Task TryProbe_HalfOpenManyCallersFromBothSilos_ExactlyOneWins()
    {
        var id = NewId();
        var grain = fixture.Cluster.Client.GetGrain<IDeploymentStatusGrain>(id);
        await grain.ReportAsync(Failures(3), Policy);
        fixture.Time.Advance(Cooldown);

        var stillClosedProbe = await fixture.Cluster.Client.GetGrain<IDeploymentStatusGrain>(NewId()).TryProbeAsync();
        var wins = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            fixture.SiloGrainFactories[i % 2].GetGrain<IDeploymentStatusGrain>(id).TryProbeAsync()));
        var again = await grain.TryProbeAsync();

        Assert.False(stillClosedProbe);
        Assert.Equal(1, wins.Count(w => w));
        Assert.False(again);
        Assert.Equal(CircuitState.HalfOpen, (await grain.GetAsync()).State);
    }

    [Fact]
    public async Task TryProbe_ProbeNeverReported_AnotherProbeAfterProbeTimeout()
    {
        var grain = NewDeployment();
        await grain.ReportAsync(Failures(3), Policy);
        fixture.Time.Advance(Cooldown);
        Assert.True(await grain.TryProbeAsync());

        // The prober's silo died with the probe: the deployment must not stay half-open for good.
        fixture.Time.Advance(TimeSpan.FromSeconds(29));
        var tooSoon = await grain.TryProbeAsync();
        fixture.Time.Advance(TimeSpan.FromSeconds(2));
        var next = await grain.TryProbeAsync();

        Assert.False(tooSoon);
        Assert.True(next);
    }

    [Fact]
    public async Task Report_ProbeSucceeded_Closes()
    {
        var grain = NewDeployment();
        await grain.ReportAsync(Failures(3), Policy);
        fixture.Time.Advance(Cooldown);
        Assert.True(await grain.TryProbeAsync());

        var status = await grain.ReportAsync(Report(successes: 1), Policy);

        Assert.Equal(CircuitState.Closed, status.State);
        Assert.Null(status.CooldownUntil);

        // Closed afresh: the failures from before the cooldown are forgotten.
        Assert.Equal(CircuitState.Closed, (await grain.ReportAsync(Failures(2), Policy)).State);
    }

    [Fact]
    public async Task Report_ProbeFailed_ReopensForAnotherCooldown()
    {
        var grain = NewDeployment();
        await grain.ReportAsync(Failures(3), Policy);
        fixture.Time.Advance(Cooldown);
        Assert.True(await grain.TryProbeAsync());
        var now = fixture.Time.GetUtcNow();

        var status = await grain.ReportAsync(Failures(1), Policy);

        Assert.Equal(CircuitState.Open, status.State);
        Assert.Equal(now + Cooldown, status.CooldownUntil);
        Assert.False(await grain.TryProbeAsync());
    }

    [Fact]
    public async Task Report_ThrottledFor_OpensForExactlyThatLong()
    {
        var grain = NewDeployment();
        var now = fixture.Time.GetUtcNow();

        var throttled = await grain.ReportAsync(Report(failures: 1, throttledFor: TimeSpan.FromSeconds(7)), Policy);
        fixture.Time.Advance(TimeSpan.FromSeconds(7) - TimeSpan.FromMilliseconds(1));
        var justBefore = await grain.ReportAsync(Report(), Policy);
        fixture.Time.Advance(TimeSpan.FromMilliseconds(1));
        var at = await grain.ReportAsync(Report(), Policy);

        // One failure is below the threshold: only the backend's Retry-After opened it.
        Assert.Equal(CircuitState.Open, throttled.State);
        Assert.Equal(now + TimeSpan.FromSeconds(7), throttled.CooldownUntil);
        Assert.Equal(CircuitState.Open, justBefore.State);
        Assert.Equal(CircuitState.HalfOpen, at.State);
    }

    [Fact]
    public async Task Report_ShorterThrottleWhileOpen_DoesNotShortenCooldown()
    {
        var grain = NewDeployment();
        var opened = await grain.ReportAsync(Failures(3), Policy);

        var throttled = await grain.ReportAsync(Report(failures: 1, throttledFor: TimeSpan.FromSeconds(1)), Policy);
        var longer = await grain.ReportAsync(Report(failures: 1, throttledFor: TimeSpan.FromSeconds(60)), Policy);

        Assert.Equal(opened.CooldownUntil, throttled.CooldownUntil);
        Assert.Equal(fixture.Time.GetUtcNow() + TimeSpan.FromSeconds(60), longer.CooldownUntil);
    }

    [Fact]
    public async Task ClusterInFlight_SumsReportersAndForgetsSilentOnes()
    {
        var grain = NewDeployment();

        await grain.ReportAsync(Report("silo-a", inFlight: 3), Policy);
        var both = await grain.ReportAsync(Report("silo-b", inFlight: 4), Policy);
        fixture.Time.Advance(TimeSpan.FromSeconds(6));
        var updated = await grain.ReportAsync(Report("silo-a", inFlight: 1), Policy);
        fixture.Time.Advance(TimeSpan.FromSeconds(5));
        var bSilent = await grain.ReportAsync(Report("silo-a", inFlight: 2), Policy);

        Assert.Equal(7, both.ClusterInFlight);
        Assert.Equal(5, updated.ClusterInFlight);

        // silo-b has not reported for 11 s (it may be dead): its requests no longer count.
        Assert.Equal(2, bSilent.ClusterInFlight);
        Assert.Equal(2, (await grain.GetAsync()).ClusterInFlight);
    }

    private IDeploymentStatusGrain NewDeployment() => fixture.Cluster.Client.GetGrain<IDeploymentStatusGrain>(NewId());

    private static string NewId() => "deployment-" + Guid.NewGuid().ToString("N");

    private static DeploymentReport Failures(int count, string reason = "UpstreamFailed") => Report(failures: count, lastFailure: reason);

    private static DeploymentReport Report(string reporter = "silo-a", int inFlight = 0, int successes = 0, int failures = 0, string? lastFailure = null, TimeSpan? throttledFor = null) =>
        new(reporter, inFlight, successes, failures, lastFailure, throttledFor);
}
