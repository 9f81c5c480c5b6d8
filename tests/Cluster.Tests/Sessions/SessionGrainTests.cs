using Cluster.Grains.Completions;
using Cluster.Grains.Sessions;
using Cluster.Tests.Routing;
using Cluster.Tests.Support;

namespace Cluster.Tests.Sessions;

/// <summary>
/// A session's pins on fake time: the idle TTL (30 minutes, the default <c>Routing:SessionTtlMinutes</c>,
/// which cannot be shortened enough to wait for it through the api), re-pinning, and concurrent first calls.
/// </summary>
[Collection(RoutingClusterFixture.Name)]
public sealed class SessionGrainTests(RoutingClusterFixture fixture)
{
    private const string Model = "model";
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(30);

    [Fact]
    public async Task Pin_IdleLongerThanTtl_PinsAndUsageForgotten()
    {
        var session = NewSession();
        Assert.Equal("a", await session.PinAsync(Model, ["a", "b"]));
        await session.AddUsageAsync(new TokenUsage(7, 6, 13, null, null, false));
        var used = await WaitForRequestsAsync(session, 1);

        fixture.Time.Advance(Ttl + TimeSpan.FromSeconds(1));
        var expired = await session.GetAsync();
        var pinnedAgain = await session.PinAsync(Model, ["b", "a"]);

        Assert.Equal("a", used.Pins[Model]);
        Assert.Equal(7, used.PromptTokens);
        Assert.Empty(expired.Pins);
        Assert.Equal(0, expired.Requests);
        Assert.Null(expired.LastSeen);

        // A new conversation under the old id: pinned afresh to the best deployment now, not a "re-pin".
        Assert.Equal("b", pinnedAgain);
        Assert.Equal(0, (await session.GetAsync()).Repins);
    }

    [Fact]
    public async Task Pin_UsedWithinTtl_KeepsPinLongerThanTtlFromFirstUse()
    {
        var session = NewSession();
        Assert.Equal("a", await session.PinAsync(Model, ["a", "b"]));

        fixture.Time.Advance(Ttl - TimeSpan.FromMinutes(5));
        var second = await session.PinAsync(Model, ["b", "a"]);
        fixture.Time.Advance(Ttl - TimeSpan.FromMinutes(5));
        var third = await session.PinAsync(Model, ["b", "a"]);

        // The TTL counts from the last request, not the first.
        Assert.Equal("a", second);
        Assert.Equal("a", third);
        Assert.Equal(fixture.Time.GetUtcNow(), (await session.GetAsync()).LastSeen);
    }

    [Fact]
    public async Task Pin_PinnedDeploymentNotUsable_RepinsToFirstUsable()
    {
        var session = NewSession();
        await session.PinAsync(Model, ["a", "b", "c"]);

        var moved = await session.PinAsync(Model, ["c", "b"]);
        var stays = await session.PinAsync(Model, ["b", "c"]);
        var info = await session.GetAsync();

        Assert.Equal("c", moved);
        Assert.Equal("c", stays);
        Assert.Equal("c", info.Pins[Model]);
        Assert.Equal(1, info.Repins);
    }

    [Fact]
    public async Task Pin_ModelsPinnedIndependently()
    {
        var session = NewSession();

        var first = await session.PinAsync("first-model", ["x", "y"]);
        var second = await session.PinAsync("second-model", ["y", "x"]);

        Assert.Equal("x", first);
        Assert.Equal("y", second);
        Assert.Equal(2, (await session.GetAsync()).Pins.Count);
    }

    [Fact]
    public async Task Repin_AfterFailover_MovesPinOnce()
    {
        var session = NewSession();
        await session.PinAsync(Model, ["a", "b"]);

        await session.RepinAsync(Model, "b");
        await session.RepinAsync(Model, "b");
        var info = await session.GetAsync();

        Assert.Equal("b", info.Pins[Model]);
        Assert.Equal(1, info.Repins);
        Assert.Equal("b", await session.PinAsync(Model, ["a", "b"]));
    }

    [Fact]
    public async Task Pin_ConcurrentFirstCallsFromBothSilos_AllGetTheSamePin()
    {
        var key = ISessionGrain.KeyOf("tenant", "burst-" + Guid.NewGuid().ToString("N"));
        string[][] orders = [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]];

        var pins = await Task.WhenAll(Enumerable.Range(0, 30).Select(i =>
            fixture.SiloGrainFactories[i % 2].GetGrain<ISessionGrain>(key).PinAsync(Model, orders[i % 3])));

        Assert.Single(pins.Distinct());
        Assert.Equal(0, (await fixture.Cluster.Client.GetGrain<ISessionGrain>(key).GetAsync()).Repins);
    }

    private ISessionGrain NewSession() =>
        fixture.Cluster.Client.GetGrain<ISessionGrain>(ISessionGrain.KeyOf("tenant", "session-" + Guid.NewGuid().ToString("N")));

    /// <summary>Usage arrives one-way; waits until the session has counted it.</summary>
    private static async Task<SessionInfo> WaitForRequestsAsync(ISessionGrain session, long requests)
    {
        return await Eventually.ValueAsync(session.GetAsync, info => info.Requests >= requests, $"the session to count {requests} request(s)", TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(10));
    }
}
