using Cluster.Relay.Requests;
using Cluster.Grains.Models;
using Cluster.Relay.Routing.Prefix;
using Cluster.Relay.Routing.Strategies;

namespace Cluster.Tests.Routing.Prefix;

/// <summary>The prefix-aware strategy as a function of the prompt, the loads and the cache estimates. No cluster.</summary>
[Trait("Category", "Unit")]
public sealed class PrefixAwareStrategyTests
{
    private static readonly DeploymentDefinition[] Four = [Deployment("d0"), Deployment("d1"), Deployment("d2"), Deployment("d3")];

    [Fact]
    public void Order_SamePrefixOnTwoFrontEnds_SameDeploymentFirst()
    {
        // Two front-ends: two strategies, two views of the loads, deployments listed in different orders.
        var first = new PrefixAwareStrategy();
        var second = new PrefixAwareStrategy();
        var reversed = Four.Reverse().ToArray();

        for (var t = 0; t < 50; t++)
        {
            var prompt = PrefixCacheEstimateTests.Prompt($"tenant-{t}", $"question {t}", 3000);
            var a = first.Order(Model(), Four, new Loads(), prompt)[0];
            var b = second.Order(Model(), reversed, new Loads(), prompt)[0];
            Assert.Equal(a.Id, b.Id);
        }
    }

    [Fact]
    public void Order_ManyPrefixes_HomesSpreadOverEveryDeployment()
    {
        var strategy = new PrefixAwareStrategy();

        var homes = Enumerable.Range(0, 400)
            .Select(t => strategy.Order(Model(), Four, new Loads(), PrefixCacheEstimateTests.Prompt($"tenant-{t}", "", 2000))[0].Id)
            .GroupBy(id => id)
            .ToDictionary(g => g.Key, g => g.Count());

        Assert.Equal(4, homes.Count);
        Assert.All(homes.Values, count => Assert.InRange(count, 60, 140));
    }

    [Fact]
    public void Order_SameTenantDifferentQuestions_SameHome()
    {
        var strategy = new PrefixAwareStrategy();

        var homes = Enumerable.Range(0, 20)
            .Select(q => strategy.Order(Model(), Four, new Loads(), PrefixCacheEstimateTests.Prompt("tenant", $"question {q}", 3000))[0].Id)
            .Distinct();

        Assert.Single(homes);
    }

    [Fact]
    public void Order_HomeOverItsShareOfTheLoad_SpillsToTheSameSecondChoiceEverywhere()
    {
        var prompt = PrefixCacheEstimateTests.Prompt("hot", "", 3000);
        var strategy = new PrefixAwareStrategy();
        var idle = strategy.Order(Model(), Four, new Loads(), prompt);
        var home = idle[0];

        var busy = new Loads { InFlight = { [home.Id] = 8 } };
        var spilled = strategy.Order(Model(), Four, busy, prompt);
        var elsewhere = new PrefixAwareStrategy().Order(Model(), [.. Four.Reverse()], busy, prompt);

        Assert.NotEqual(home.Id, spilled[0].Id);
        Assert.Equal(idle[1].Id, spilled[0].Id);
        Assert.Equal(spilled[0].Id, elsewhere[0].Id);
        Assert.Equal(home.Id, spilled[^1].Id);
    }

    [Fact]
    public void Order_HomeFromTheGrain_FirstWhereverRendezvousRanksIt()
    {
        var prompt = PrefixCacheEstimateTests.Prompt("placed", "", 3000);
        var strategy = new PrefixAwareStrategy();
        var byRendezvous = strategy.Order(Model(), Four, new Loads(), prompt);
        var loads = new Loads { Homes = { [prompt.Anchor] = byRendezvous[^1].Id } };

        var order = strategy.Order(Model(), Four, loads, prompt);

        Assert.Equal(byRendezvous[^1].Id, order[0].Id);
        Assert.Equal(byRendezvous[0].Id, order[1].Id);
    }

    [Fact]
    public void Order_HomeOverItsShareButNoReplicaIdle_StaysHome_OneIdles_Spills()
    {
        var prompt = PrefixCacheEstimateTests.Prompt("queued", "", 3000);
        var strategy = new PrefixAwareStrategy();
        var home = strategy.Order(Model(), Four, new Loads(), prompt)[0];
        var others = Four.Where(d => d.Id != home.Id).ToArray();

        // 12 in flight at home, 3 on each other replica: a queue, but nobody to take it at once.
        var busy = new Loads { InFlight = { [home.Id] = 12, [others[0].Id] = 3, [others[1].Id] = 3, [others[2].Id] = 3 } };
        Assert.Equal(home.Id, strategy.Order(Model(), Four, busy, prompt)[0].Id);

        var oneIdles = new Loads { InFlight = { [home.Id] = 12, [others[0].Id] = 3, [others[1].Id] = 3, [others[2].Id] = 0 } };
        Assert.NotEqual(home.Id, strategy.Order(Model(), Four, oneIdles, prompt)[0].Id);
    }

    [Fact]
    public void Order_HomeWithAShortQueue_StaysHome()
    {
        var prompt = PrefixCacheEstimateTests.Prompt("warm", "", 3000);
        var strategy = new PrefixAwareStrategy();
        var home = strategy.Order(Model(), Four, new Loads(), prompt)[0];

        // Under Routing:PrefixMinInFlight (4) in flight a queue costs less than a cache miss elsewhere.
        var order = strategy.Order(Model(), Four, new Loads { InFlight = { [home.Id] = 3 } }, prompt);

        Assert.Equal(home.Id, order[0].Id);
    }

    [Fact]
    public void Order_CachedDeploymentAtMaxConcurrency_NeverFirst()
    {
        var prompt = PrefixCacheEstimateTests.Prompt("capped", "", 3000);
        DeploymentDefinition[] capped = [Deployment("c0", maxConcurrency: 2), Deployment("c1", maxConcurrency: 2)];
        var loads = new Loads { InFlight = { ["c0"] = 2 } };
        loads.CacheOf(capped[0]).Record(prompt);

        var order = new PrefixAwareStrategy().Order(Model(capped), capped, loads, prompt);

        Assert.Equal("c1", order[0].Id);
    }

    [Fact]
    public void Order_LongerPrefixCachedAwayFromHome_ThatDeploymentFirst()
    {
        var strategy = new PrefixAwareStrategy();
        var turn1 = PrefixCacheEstimateTests.Prompt("tenant", "", 3000);
        var turn2 = PrefixCacheEstimateTests.Prompt("tenant", new string('c', 4000), 3000);
        var home = strategy.Order(Model(), Four, new Loads(), turn1)[0];
        var other = Four.First(d => d.Id != home.Id);
        var loads = new Loads();
        loads.CacheOf(home).Record(turn1);
        loads.CacheOf(other).Record(turn2);

        Assert.Equal(other.Id, strategy.Order(Model(), Four, loads, turn2)[0].Id);
        Assert.Equal(home.Id, strategy.Order(Model(), Four, loads, turn1)[0].Id);
    }

    [Fact]
    public void Order_PromptShorterThanABlock_LeastInFlightFirst()
    {
        var loads = new Loads { InFlight = { ["d0"] = 3, ["d1"] = 3, ["d2"] = 0, ["d3"] = 3 } };

        var order = new PrefixAwareStrategy().Order(Model(), Four, loads, PromptBlocks.None);

        Assert.Equal("d2", order[0].Id);
    }

    [Fact]
    public void PinYields_PinnedOverloadedAndBestIdle_True_PinnedIdle_False()
    {
        var strategy = new PrefixAwareStrategy();
        var prompt = PrefixCacheEstimateTests.Prompt("session", "", 3000);
        var pinned = Four[0];
        var best = Four[1];

        Assert.True(strategy.PinYields(Four, new Loads { InFlight = { ["d0"] = 9 } }, prompt, pinned, best));
        Assert.False(strategy.PinYields(Four, new Loads { InFlight = { ["d0"] = 2 } }, prompt, pinned, best));
    }

    [Fact]
    public void PinYields_BestHoldsMuchMoreOfThePrompt_True_AboutTheSame_False()
    {
        var strategy = new PrefixAwareStrategy();
        var prompt = PrefixCacheEstimateTests.Prompt("session", "", 6000);
        var loads = new Loads();
        loads.CacheOf(Four[1]).Record(prompt);

        Assert.True(strategy.PinYields(Four, loads, prompt, Four[0], Four[1]));

        loads.CacheOf(Four[0]).Record(prompt);
        Assert.False(strategy.PinYields(Four, loads, prompt, Four[0], Four[1]));
    }

    private static ModelDefinition Model(DeploymentDefinition[]? deployments = null) =>
        new("m", [], "tests", 0, ModelPrice.Free, PrefixAwareStrategy.RoutingName, [], deployments ?? Four, ModelSource.Configuration);

    private static DeploymentDefinition Deployment(string id, int? maxConcurrency = null) =>
        new(id, "echo", null, null, null, 1, null, null, maxConcurrency, null, DeploymentTimeouts.Default);

    private sealed class Loads : IDeploymentLoads
    {
        private readonly Dictionary<string, PrefixCacheEstimate> _caches = [];

        public Dictionary<string, int> InFlight { get; } = [];

        public int ClusterInFlight(DeploymentDefinition deployment) => InFlight.GetValueOrDefault(deployment.Id);

        /// <summary>Waiting for their first token; unset, all in flight are.</summary>
        public Dictionary<string, int> Waiting { get; } = [];

        public int ClusterWaiting(DeploymentDefinition deployment) => Waiting.TryGetValue(deployment.Id, out var waiting) ? waiting : ClusterInFlight(deployment);

        public double FirstTokenMs(DeploymentDefinition deployment) => 0;

        /// <summary>Homes the prefix-homes grain chose, by anchor.</summary>
        public Dictionary<ulong, string> Homes { get; } = [];

        public string? PrefixHome(ModelDefinition model, ulong anchor) => Homes.GetValueOrDefault(anchor);

        public PrefixCacheEstimate CacheOf(DeploymentDefinition deployment) =>
            _caches.TryGetValue(deployment.Id, out var cache) ? cache : _caches[deployment.Id] = new PrefixCacheEstimate(100_000);
    }
}
