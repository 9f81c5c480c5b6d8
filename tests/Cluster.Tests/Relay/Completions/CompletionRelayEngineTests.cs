using Cluster.Relay.Accounting;
using System.Text;
using System.Text.Json.Nodes;
using Cluster.Grains.Access;
using Cluster.Grains.Completions;
using Cluster.Grains.Errors;
using Cluster.Grains.Limits;
using Cluster.Grains.Models;
using Cluster.Grains.Sessions;
using Cluster.Relay.Completions;
using Cluster.Relay.Requests;
using Cluster.Tests.Support;
using Cluster.Tests.Support.InMemory;

namespace Cluster.Tests.Relay.Completions;

/// <summary>
/// The attempt engine (<see cref="CompletionRelay"/>) with no cluster and no network: in-memory
/// grains, a scripted backend and a fake clock that drives the timeouts.
/// </summary>
[Trait("Category", "Unit")]
public sealed class CompletionRelayEngineTests : IAsyncLifetime
{
    // A deadline only: generous, because the whole suite runs on two busy cores.
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private static readonly DeploymentTimeouts Short = new(TimeSpan.FromSeconds(1), FirstToken: TimeSpan.FromSeconds(5), Idle: TimeSpan.FromSeconds(4), Total: TimeSpan.FromSeconds(30));

    private readonly UnitRelay _relay = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _relay.DisposeAsync();

    [Fact]
    public async Task RunAsync_Stream_StartedThenChunksThenFinishedWithBackendUsage()
    {
        _relay.Provider.Then(ScriptedProvider.Reply(WireChunks.Content("Hel"), WireChunks.Content("lo"), WireChunks.Usage(7, 2)));
        var model = UnitRelay.Model("m", UnitRelay.Deployment("d1"));

        var events = await _relay.CollectAsync(Stream("m"), model);

        Assert.Equal([RelayEventKind.Started, RelayEventKind.Chunk, RelayEventKind.Chunk, RelayEventKind.Finished], events.Select(e => e.Kind));
        Assert.Equal("d1", events[0].DeploymentId);
        Assert.All(events.Where(e => e.Kind == RelayEventKind.Chunk), e => Assert.Equal("m", JsonNode.Parse(e.Data)!["model"]!.GetValue<string>()));
        Assert.Equal(new TokenUsage(7, 2, 9, null, null, Estimated: false), events[^1].Usage);
        var record = Assert.Single(_relay.LedgerRecords);
        Assert.Equal(("ok", "d1", 9), (record.Status, record.DeploymentId, record.TotalTokens));
    }

    [Fact]
    public async Task RunAsync_Unary_OneChunkWithTheWholeBodyUnderTheRequestedName()
    {
        _relay.Provider.Then(ScriptedProvider.Reply(WireChunks.Completion("Hi", 4, 1)));
        var model = UnitRelay.Model("m", UnitRelay.Deployment("d1"));

        var events = await _relay.CollectAsync(CompletionRequests.Chat("m", "hi") with { RequestedModel = "m-alias" }, model);

        Assert.Equal([RelayEventKind.Started, RelayEventKind.Chunk, RelayEventKind.Finished], events.Select(e => e.Kind));
        var body = JsonNode.Parse(events[1].Data)!;
        Assert.Equal("m-alias", body["model"]!.GetValue<string>());
        Assert.Equal("Hi", body["choices"]![0]!["message"]!["content"]!.GetValue<string>());
        Assert.Equal(5, events[^1].Usage!.TotalTokens);
    }

    [Fact]
    public async Task RunAsync_FailureBeforeFirstByte_RetriedOnTheNextDeployment()
    {
        _relay.Provider
            .Then(ScriptedProvider.Fail(new GatewayException(GatewayErrorCode.UpstreamFailed, "HTTP 500")))
            .Then(ScriptedProvider.Reply(WireChunks.Content("ok"), WireChunks.Usage(3, 1)));
        var model = UnitRelay.Model("m", UnitRelay.Deployment("d1"), UnitRelay.Deployment("d2"));

        var events = await _relay.CollectAsync(Stream("m"), model);

        var calls = _relay.Provider.Calls.Snapshot();
        Assert.Equal(2, calls.Length);
        Assert.NotEqual(calls[0], calls[1]);
        Assert.Equal(calls[1], events[0].DeploymentId);
        Assert.Equal(RelayEventKind.Finished, events[^1].Kind);
        var report = Assert.Single(_relay.Status(calls[0]).Reports);
        Assert.Equal(1, report.Failures);
        Assert.Equal(calls[1], Assert.Single(_relay.LedgerRecords).DeploymentId);
    }

    [Fact]
    public async Task RunAsync_FailureAfterFirstByte_NotRetriedAndSettledAsEstimated()
    {
        _relay.Provider.Then(ScriptedProvider.ReplyThenFail(new GatewayException(GatewayErrorCode.UpstreamFailed, "connection reset"), WireChunks.Content("partial answer")));
        var model = UnitRelay.Model("m", UnitRelay.Deployment("d1"), UnitRelay.Deployment("d2"));
        var events = new List<RelayEvent>();

        var failure = await Assert.ThrowsAsync<GatewayException>(async () =>
        {
            await foreach (var e in _relay.Relay.RunAsync(Stream("m"), [model], CancellationToken.None))
            {
                events.Add(e);
            }
        });

        Assert.Equal(GatewayErrorCode.UpstreamFailed, failure.Code);
        Assert.Single(_relay.Provider.Calls);
        Assert.Equal([RelayEventKind.Started, RelayEventKind.Chunk], events.Select(e => e.Kind));
        var record = Assert.Single(_relay.LedgerRecords);
        Assert.Equal(nameof(GatewayErrorCode.UpstreamFailed), record.Status);
        Assert.True(record.Estimated);
        Assert.True(record.CompletionTokens > 0);
    }

    [Fact]
    public async Task RunAsync_BackendRejectsTheRequest_NotRetriedAndPassedThrough()
    {
        _relay.Provider.Then(ScriptedProvider.Fail(new GatewayException(GatewayErrorCode.UpstreamRejected, "bad parameter") { UpstreamStatus = 400 }));
        var model = UnitRelay.Model("m", UnitRelay.Deployment("d1"), UnitRelay.Deployment("d2"));

        var failure = await Assert.ThrowsAsync<GatewayException>(() => _relay.CollectAsync(Stream("m"), model));

        Assert.Equal((GatewayErrorCode.UpstreamRejected, 400), (failure.Code, failure.UpstreamStatus));
        Assert.Single(_relay.Provider.Calls);
    }

    [Fact]
    public async Task RunAsync_NoFirstTokenInTime_TimesOutAndMovesToTheNextDeployment()
    {
        var silent = new ControlledStream();
        _relay.Provider.Then(silent).Then(ScriptedProvider.Reply(WireChunks.Content("ok"), WireChunks.Usage(3, 1)));
        var model = UnitRelay.Model("m", UnitRelay.Deployment("d1", Short), UnitRelay.Deployment("d2", Short));

        var run = _relay.CollectAsync(Stream("m"), model);
        await silent.Called.WaitAsync(Wait);
        _relay.Time.Advance(Short.FirstToken);
        var events = await run.WaitAsync(Wait);

        await silent.Cancelled.WaitAsync(Wait);
        var calls = _relay.Provider.Calls.Snapshot();
        Assert.Equal(2, calls.Length);
        Assert.Equal(calls[1], events[0].DeploymentId);
        Assert.Equal(RelayEventKind.Finished, events[^1].Kind);
    }

    [Fact]
    public async Task RunAsync_FirstTokenJustInTime_NotTimedOut()
    {
        var slow = new ControlledStream();
        _relay.Provider.Then(slow);
        var model = UnitRelay.Model("m", UnitRelay.Deployment("d1", Short));

        var run = _relay.CollectAsync(Stream("m"), model);
        await slow.Called.WaitAsync(Wait);
        _relay.Time.Advance(Short.FirstToken - TimeSpan.FromMilliseconds(1));
        slow.Send(WireChunks.Content("ok"));
        slow.End();
        var events = await run.WaitAsync(Wait);

        Assert.Equal(RelayEventKind.Finished, events[^1].Kind);
        Assert.False(slow.Cancelled.IsCompleted);
    }

    [Fact]
    public async Task RunAsync_BackendSilentAfterFirstChunk_IdleTimeoutEndsTheResponse()
    {
        var stalls = new ControlledStream();
        _relay.Provider.Then(stalls);
        var model = UnitRelay.Model("m", UnitRelay.Deployment("d1", Short), UnitRelay.Deployment("d2", Short));
        var events = new List<RelayEvent>();

        var run = Task.Run(async () =>
        {
            await foreach (var e in _relay.Relay.RunAsync(Stream("m"), [model], CancellationToken.None))
            {
                events.Add(e);
            }
        });
        await stalls.Called.WaitAsync(Wait);
        stalls.Send(WireChunks.Content("first"));
        await Eventually.UntilAsync(() => stalls.Reads >= 2, "the relay to ask for the second chunk", Wait);
        _relay.Time.Advance(Short.Idle);

        var failure = await Assert.ThrowsAsync<GatewayException>(() => run.WaitAsync(Wait));
        Assert.Equal(GatewayErrorCode.UpstreamTimeout, failure.Code);
        Assert.Contains("stopped sending", failure.Message, StringComparison.Ordinal);
        Assert.Single(_relay.Provider.Calls);
        Assert.Equal([RelayEventKind.Started, RelayEventKind.Chunk], events.Select(e => e.Kind));
    }

    [Fact]
    public async Task RunAsync_ChunksKeepComing_IdleTimeoutRestartsWithEachChunk()
    {
        var steady = new ControlledStream();
        _relay.Provider.Then(steady);
        var model = UnitRelay.Model("m", UnitRelay.Deployment("d1", Short));
        var almostIdle = Short.Idle - TimeSpan.FromMilliseconds(500);

        var run = _relay.CollectAsync(Stream("m"), model);
        await steady.Called.WaitAsync(Wait);
        for (var i = 1; i <= 3; i++)
        {
            steady.Send(WireChunks.Content($"part {i}"));
            await Eventually.UntilAsync(() => steady.Reads > i, $"the relay to ask for chunk {i + 1}", Wait);
            _relay.Time.Advance(almostIdle);
        }

        steady.End();
        var events = await run.WaitAsync(Wait);

        // 3 × (idle − 0.5 s) is well past one idle timeout: only the restart on each chunk lets it finish.
        Assert.Equal(RelayEventKind.Finished, events[^1].Kind);
        Assert.Equal(3, events.Count(e => e.Kind == RelayEventKind.Chunk));
    }

    [Fact]
    public async Task RunAsync_StreamLongerThanTotal_TotalTimeoutEndsIt()
    {
        var timeouts = new DeploymentTimeouts(TimeSpan.FromSeconds(1), FirstToken: TimeSpan.FromSeconds(10), Idle: TimeSpan.FromSeconds(10), Total: TimeSpan.FromSeconds(15));
        var endless = new ControlledStream();
        _relay.Provider.Then(endless);
        var model = UnitRelay.Model("m", UnitRelay.Deployment("d1", timeouts));

        var run = _relay.CollectAsync(Stream("m"), model);
        await endless.Called.WaitAsync(Wait);
        endless.Send(WireChunks.Content("one"));
        await Eventually.UntilAsync(() => endless.Reads >= 2, "the relay to ask for the second chunk", Wait);
        _relay.Time.Advance(TimeSpan.FromSeconds(8));
        endless.Send(WireChunks.Content("two"));
        await Eventually.UntilAsync(() => endless.Reads >= 3, "the relay to ask for the third chunk", Wait);
        _relay.Time.Advance(TimeSpan.FromSeconds(8));

        var failure = await Assert.ThrowsAsync<GatewayException>(() => run.WaitAsync(Wait));
        Assert.Equal(GatewayErrorCode.UpstreamTimeout, failure.Code);
        Assert.Contains("did not finish within 15 s", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_EveryDeploymentThrottled_429WithTheShortestRetryAfterAndBothCooling()
    {
        _relay.Provider
            .Then(ScriptedProvider.Fail(new GatewayException(GatewayErrorCode.RateLimited, "slow down") { RetryAfter = TimeSpan.FromSeconds(7) }))
            .Then(ScriptedProvider.Fail(new GatewayException(GatewayErrorCode.RateLimited, "slow down") { RetryAfter = TimeSpan.FromSeconds(3) }));
        var model = UnitRelay.Model("m", UnitRelay.Deployment("d1"), UnitRelay.Deployment("d2"));

        var failure = await Assert.ThrowsAsync<GatewayException>(() => _relay.CollectAsync(Stream("m"), model));

        Assert.Equal((GatewayErrorCode.RateLimited, TimeSpan.FromSeconds(3)), (failure.Code, failure.RetryAfter));
        var throttles = new[] { "d1", "d2" }.Select(d => Assert.Single(_relay.Status(d).Reports).ThrottledFor).Order();
        Assert.Equal([TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(7)], throttles);
        Assert.Empty(_relay.Balancer.Order(model));
        Assert.Equal(TimeSpan.FromSeconds(3), _relay.Balancer.CooldownRemaining(model));
    }

    [Fact]
    public async Task RunAsync_EveryDeploymentCooling_503WithTheCooldownAsRetryAfter()
    {
        var model = UnitRelay.Model("m", UnitRelay.Deployment("d1"));
        _relay.Provider.Then(ScriptedProvider.Fail(new GatewayException(GatewayErrorCode.RateLimited, "slow down") { RetryAfter = TimeSpan.FromSeconds(20) }));
        await Assert.ThrowsAsync<GatewayException>(() => _relay.CollectAsync(Stream("m"), model));
        _relay.Time.Advance(TimeSpan.FromSeconds(5));

        var failure = await Assert.ThrowsAsync<GatewayException>(() => _relay.CollectAsync(Stream("m"), model));

        Assert.Equal(GatewayErrorCode.NoHealthyDeployment, failure.Code);
        Assert.Equal(TimeSpan.FromSeconds(15), failure.RetryAfter);
        Assert.Single(_relay.Provider.Calls);
    }

    [Fact]
    public async Task RunAsync_MaxAttemptsReached_StopsWithTheLastFailure()
    {
        using var relay = new DisposableRelay(new Dictionary<string, string?> { ["Routing:MaxAttempts"] = "2" });
        for (var i = 0; i < 3; i++)
        {
            relay.Value.Provider.Then(ScriptedProvider.Fail(new GatewayException(GatewayErrorCode.UpstreamFailed, $"HTTP 50{i}")));
        }

        var model = UnitRelay.Model("m", UnitRelay.Deployment("d1"), UnitRelay.Deployment("d2"), UnitRelay.Deployment("d3"));

        var failure = await Assert.ThrowsAsync<GatewayException>(() => relay.Value.CollectAsync(Stream("m"), model));

        Assert.Equal(GatewayErrorCode.UpstreamFailed, failure.Code);
        Assert.Contains("2 attempts failed", failure.Message, StringComparison.Ordinal);
        Assert.Equal(2, relay.Value.Provider.Calls.Count);
    }

    [Fact]
    public async Task RunAsync_RetryBackoff_WaitsOnTheClockBeforeTheNextAttempt()
    {
        using var relay = new DisposableRelay(new Dictionary<string, string?> { ["Routing:RetryBackoffMs"] = "200" });
        relay.Value.Provider
            .Then(ScriptedProvider.Fail(new GatewayException(GatewayErrorCode.UpstreamFailed, "HTTP 500")))
            .Then(ScriptedProvider.Reply(WireChunks.Content("ok")));
        var model = UnitRelay.Model("m", UnitRelay.Deployment("d1"), UnitRelay.Deployment("d2"));

        var run = relay.Value.CollectAsync(Stream("m"), model);
        await Eventually.UntilAsync(() => relay.Value.Provider.Calls.Count == 1, "the first attempt", Wait);

        // The second attempt starts only once the clock has moved by the backoff; nudge it until it does.
        var advanced = TimeSpan.Zero;
        await Eventually.UntilAsync(
            () =>
            {
                relay.Value.Time.Advance(TimeSpan.FromMilliseconds(50));
                advanced += TimeSpan.FromMilliseconds(50);
                return relay.Value.Provider.Calls.Count == 2;
            },
            "the second attempt",
            Wait);
        var events = await run.WaitAsync(Wait);

        Assert.True(advanced >= TimeSpan.FromMilliseconds(200), $"the retry came after {advanced.TotalMilliseconds} ms of clock");
        Assert.Equal(RelayEventKind.Finished, events[^1].Kind);
    }

    [Fact]
    public async Task RunAsync_Served_TenantLeaseSettledWithTheRealUsage()
    {
        PublishTenantWithLimits();
        _relay.Provider.Then(ScriptedProvider.Reply(WireChunks.Content("ok"), WireChunks.Usage(6, 2)));
        var model = UnitRelay.Model("m", UnitRelay.Deployment("d1"));

        await _relay.CollectAsync(Stream("m"), model);

        var limiter = _relay.Limiter(ILimiterGrain.TenantKey("default"));
        Assert.Single(limiter.Admitted);
        var settled = Assert.Single(limiter.Settled);
        Assert.Equal(8, settled.Usage.TotalTokens);
        Assert.Equal(model.Price.CostOf(6, 2), settled.Cost);
        Assert.Empty(limiter.Released);
        Assert.Equal(0, limiter.OpenLeases);
    }

    [Fact]
    public async Task RunAsync_TenantLimiterRefuses_429AndNoBackendCalled()
    {
        PublishTenantWithLimits();
        _relay.Limiter(ILimiterGrain.TenantKey("default")).Refuse = InMemoryLimiterGrain.Refusal("Rate limit reached for requests.", TimeSpan.FromSeconds(12));
        var model = UnitRelay.Model("m", UnitRelay.Deployment("d1"));

        var failure = await Assert.ThrowsAsync<GatewayException>(() => _relay.CollectAsync(Stream("m"), model));

        Assert.Equal((GatewayErrorCode.RateLimited, TimeSpan.FromSeconds(12)), (failure.Code, failure.RetryAfter));
        Assert.NotNull(failure.Limits);
        Assert.Empty(_relay.Provider.Calls);
        Assert.Empty(_relay.LedgerRecords);
    }

    [Fact]
    public async Task RunAsync_DeploymentAtCapacity_SkippedAndItsNeighbourServes()
    {
        var model = UnitRelay.Model("m", UnitRelay.Deployment("full", maxConcurrency: 1), UnitRelay.Deployment("free", maxConcurrency: 1));
        _relay.Limiter(ILimiterGrain.DeploymentKey("full")).Refuse = InMemoryLimiterGrain.Refusal("Deployment at capacity.", TimeSpan.FromSeconds(1));

        var events = await _relay.CollectAsync(Stream("m"), model);

        Assert.Equal("free", events[0].DeploymentId);
        Assert.Equal(["free"], _relay.Provider.Calls.Snapshot());
        var free = _relay.Limiter(ILimiterGrain.DeploymentKey("free"));
        Assert.Single(free.Settled);
        Assert.Equal(0, free.OpenLeases);
    }

    [Fact]
    public async Task RunAsync_EveryDeploymentAtCapacity_429AndTheTenantLeaseReleased()
    {
        PublishTenantWithLimits();
        var model = UnitRelay.Model("m", UnitRelay.Deployment("d1", maxConcurrency: 1));
        _relay.Limiter(ILimiterGrain.DeploymentKey("d1")).Refuse = InMemoryLimiterGrain.Refusal("Deployment at capacity.", TimeSpan.FromSeconds(2));

        var failure = await Assert.ThrowsAsync<GatewayException>(() => _relay.CollectAsync(Stream("m"), model));

        Assert.Equal(GatewayErrorCode.RateLimited, failure.Code);
        var tenant = _relay.Limiter(ILimiterGrain.TenantKey("default"));
        Assert.Single(tenant.Released);
        Assert.Empty(tenant.Settled);
        Assert.Equal(0, tenant.OpenLeases);
        Assert.Empty(_relay.LedgerRecords);
    }

    [Fact]
    public async Task RunAsync_AttemptFailsOnALimitedDeployment_ItsCapacityGivenBackBeforeTheNext()
    {
        _relay.Provider
            .Then(ScriptedProvider.Fail(new GatewayException(GatewayErrorCode.UpstreamFailed, "HTTP 502")))
            .Then(ScriptedProvider.Reply(WireChunks.Content("ok")));
        var model = UnitRelay.Model("m", UnitRelay.Deployment("d1", maxConcurrency: 1), UnitRelay.Deployment("d2", maxConcurrency: 1));

        await _relay.CollectAsync(Stream("m"), model);

        var calls = _relay.Provider.Calls.Snapshot();
        var failed = _relay.Limiter(ILimiterGrain.DeploymentKey(calls[0]));
        var served = _relay.Limiter(ILimiterGrain.DeploymentKey(calls[1]));
        Assert.Single(failed.Released);
        Assert.Empty(failed.Settled);
        Assert.Single(served.Settled);
        Assert.Equal(0, failed.OpenLeases + served.OpenLeases);
    }

    [Fact]
    public async Task RunAsync_ClientCancelsMidStream_SettledAsCancelledAndEstimated()
    {
        PublishTenantWithLimits();
        var stream = new ControlledStream();
        _relay.Provider.Then(stream);
        var model = UnitRelay.Model("m", UnitRelay.Deployment("d1"));
        using var client = new CancellationTokenSource();
        var events = new List<RelayEvent>();

        var run = Task.Run(async () =>
        {
            await foreach (var e in _relay.Relay.RunAsync(Stream("m"), [model], client.Token))
            {
                events.Add(e);
            }
        });
        await stream.Called.WaitAsync(Wait);
        stream.Send(WireChunks.Content("some words before the client left"));
        await Eventually.UntilAsync(() => stream.Reads >= 2, "the relay to ask for the second chunk", Wait);
        await client.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(Wait));
        await stream.Cancelled.WaitAsync(Wait);
        var record = Assert.Single(_relay.LedgerRecords);
        Assert.Equal("cancelled", record.Status);
        Assert.True(record.Estimated);
        Assert.True(record.CompletionTokens > 0);
        var tenant = _relay.Limiter(ILimiterGrain.TenantKey("default"));
        Assert.Single(tenant.Settled);
        Assert.Equal(0, tenant.OpenLeases);
    }

    [Fact]
    public async Task RunAsync_EveryAttemptFailsBeforeAnyByte_SettledWithNoUsage()
    {
        PublishTenantWithLimits();
        _relay.Provider.Then(ScriptedProvider.Fail(new GatewayException(GatewayErrorCode.UpstreamFailed, "HTTP 500")));
        var model = UnitRelay.Model("m", UnitRelay.Deployment("d1"));

        await Assert.ThrowsAsync<GatewayException>(() => _relay.CollectAsync(Stream("m"), model));

        var record = Assert.Single(_relay.LedgerRecords);
        Assert.Equal((nameof(GatewayErrorCode.UpstreamFailed), 0), (record.Status, record.TotalTokens));
        var tenant = _relay.Limiter(ILimiterGrain.TenantKey("default"));
        Assert.Equal(0, Assert.Single(tenant.Settled).Usage.TotalTokens);
        Assert.Equal(0, tenant.OpenLeases);
    }

    [Fact]
    public async Task RunAsync_FallbackModel_ServesUnderItsOwnName()
    {
        var primary = UnitRelay.Model("primary", UnitRelay.Deployment("p1"));
        var fallback = UnitRelay.Model("fallback", UnitRelay.Deployment("f1"));
        _relay.Provider
            .Then(ScriptedProvider.Fail(new GatewayException(GatewayErrorCode.UpstreamTimeout, "slow")))
            .Then(ScriptedProvider.Reply(WireChunks.Content("ok")));

        var events = await _relay.CollectAsync(Stream("primary"), primary, fallback);

        Assert.Equal("f1", events[0].DeploymentId);
        Assert.Equal("fallback", JsonNode.Parse(events[1].Data)!["model"]!.GetValue<string>());
        Assert.Equal("fallback", Assert.Single(_relay.LedgerRecords).Model);
    }

    [Fact]
    public async Task RunAsync_Session_PinnedDeploymentServesAndAFailoverRepins()
    {
        var model = UnitRelay.Model("m", UnitRelay.Deployment("d1"), UnitRelay.Deployment("d2"));
        var request = Stream("m") with { SessionId = "s-1" };

        var first = await _relay.CollectAsync(request with { RequestId = "req_1" }, model);
        var pinned = first[0].DeploymentId!;
        _relay.Provider.Then(ScriptedProvider.Fail(new GatewayException(GatewayErrorCode.UpstreamFailed, "HTTP 500")));
        var second = await _relay.CollectAsync(request with { RequestId = "req_2" }, model);

        var calls = _relay.Provider.Calls.Snapshot();
        Assert.Equal(pinned, calls[1]);
        Assert.NotEqual(pinned, second[0].DeploymentId);
        var session = _relay.Session(ISessionGrain.KeyOf("default", "s-1"));
        await Eventually.UntilAsync(async () => (await session.GetAsync()).Pins["m"] == second[0].DeploymentId, "the session to be repinned", Wait);
    }

    [Fact]
    public async Task RunAsync_SessionRequests_TheirUsageReachesTheSessionOncePerPeriod()
    {
        var model = UnitRelay.Model("m", UnitRelay.Deployment("d1"));
        var request = Stream("m") with { SessionId = "s-3" };
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(RelayEventKind.Finished, (await _relay.CollectAsync(request with { RequestId = $"req_{i}" }, model))[^1].Kind);
        }

        // Settled, but the totals wait for the period: no request made a session call of its own.
        var session = _relay.Session(ISessionGrain.KeyOf("default", "s-3"));
        Assert.Equal(0, (await session.GetAsync()).Requests);

        _relay.Time.Advance(SessionUsageTally.Period);
        var info = await Eventually.ValueAsync(session.GetAsync, i => i.Requests > 0, "the session's totals", Wait);
        Assert.Equal(3, info.Requests);
        var perRequest = Assert.Single(_relay.LedgerRecords.Select(r => r.PromptTokens).Distinct());
        Assert.Equal(3 * perRequest, info.PromptTokens);
        Assert.Equal(_relay.LedgerRecords.Sum(r => r.CompletionTokens), info.CompletionTokens);

        // A period with nothing new sends nothing, and the next requests count from there.
        _relay.Time.Advance(SessionUsageTally.Period);
        await _relay.CollectAsync(request with { RequestId = "req_3" }, model);
        _relay.Time.Advance(SessionUsageTally.Period);
        Assert.Equal(4, (await Eventually.ValueAsync(session.GetAsync, i => i.Requests > 3, "the fourth request's totals", Wait)).Requests);
    }

    [Fact]
    public async Task RunAsync_SessionGrainDoesNotAnswer_RoutedAfterTheLookupTimeout()
    {
        var model = UnitRelay.Model("m", UnitRelay.Deployment("d1"), UnitRelay.Deployment("d2"));
        var never = new TaskCompletionSource();
        _relay.Session(ISessionGrain.KeyOf("default", "s-2")).Unavailable = never.Task;

        var run = _relay.CollectAsync(Stream("m") with { SessionId = "s-2" }, model);
        await Eventually.UntilAsync(
            () =>
            {
                _relay.Time.Advance(TimeSpan.FromMilliseconds(100));
                return run.IsCompleted;
            },
            "the request to be routed without the session",
            Wait);

        Assert.Equal(RelayEventKind.Finished, (await run)[^1].Kind);
    }

    private void PublishTenantWithLimits() =>
        _relay.Access.Publish(new TenantDefinition("default", ["*"], new ScopeLimits(Rpm: 100, Tpm: null, MaxConcurrency: null), TenantQuotas.None, [], ModelSource.Configuration, 0));

    private static CompletionRequest Stream(string model) => CompletionRequests.Chat(model, "hello there", stream: true);

    /// <summary>A second relay with other settings, disposed synchronously by the test.</summary>
    private sealed class DisposableRelay(IDictionary<string, string?> settings) : IDisposable
    {
        public UnitRelay Value { get; } = new(settings);

        public void Dispose() => Value.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
