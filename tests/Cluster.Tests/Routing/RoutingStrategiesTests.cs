using Cluster.Relay.Requests;
using Cluster.Grains.Models;
using Cluster.Relay.Routing.Prefix;
using Cluster.Relay.Routing.Strategies;

namespace Cluster.Tests.Routing;

/// <summary>The routing strategies as pure functions of the deployments and their loads. No cluster.</summary>
[Trait("Category", "Unit")]
public sealed class RoutingStrategiesTests
{
    private static readonly DeploymentDefinition A = Deployment("a", weight: 1);
    private static readonly DeploymentDefinition B = Deployment("b", weight: 1);
    private static readonly DeploymentDefinition C = Deployment("c", weight: 3);

    [Fact]
    public void LeastInFlight_LoadsPerWeight_LeastLoadedFirst()
    {
        var loads = new Loads { InFlight = { ["a"] = 2, ["b"] = 0, ["c"] = 5 } };

        var order = new LeastInFlightStrategy().Order(Model("least-inflight"), [A, B, C], loads, PromptBlocks.None);

        // (0+1)/1 = 1 for b, (5+1)/3 = 2 for c, (2+1)/1 = 3 for a.
        Assert.Equal(["b", "c", "a"], order.Select(d => d.Id));
    }

    [Fact]
    public void RoundRobin_SuccessiveRequests_StartOneFurtherEachTime()
    {
        var strategy = new RoundRobinStrategy();
        var model = Model("round-robin");

        var firsts = Enumerable.Range(0, 6).Select(_ => strategy.Order(model, [A, B, C], new Loads(), PromptBlocks.None)[0].Id).ToList();

        Assert.Equal(2, firsts.Count(id => id == "a"));
        Assert.Equal(2, firsts.Count(id => id == "b"));
        Assert.Equal(2, firsts.Count(id => id == "c"));
        Assert.NotEqual(firsts[0], firsts[1]);
    }

    [Fact]
    public void Weighted_ManyRequests_FirstPicksFollowTheWeights()
    {
        var strategy = new WeightedStrategy();

        var firsts = Enumerable.Range(0, 5000).Select(_ => strategy.Order(Model("weighted"), [A, B, C], new Loads(), PromptBlocks.None)[0].Id).ToList();

        // Weights 1:1:3 → c first about 60% of the time.
        Assert.InRange(firsts.Count(id => id == "c") / 5000.0, 0.55, 0.65);
        Assert.All(Enumerable.Range(0, 20), _ => Assert.Equal(3, strategy.Order(Model("weighted"), [A, B, C], new Loads(), PromptBlocks.None).Distinct().Count()));
    }

    [Fact]
    public void Latency_Measured_FastestFirstAndUnmeasuredBeforeAll()
    {
        var loads = new Loads { FirstToken = { ["a"] = 40, ["b"] = 0, ["c"] = 12 } };

        var order = new LatencyStrategy().Order(Model("latency"), [A, B, C], loads, PromptBlocks.None);

        Assert.Equal(["b", "c", "a"], order.Select(d => d.Id));
    }

    [Theory]
    [InlineData("round-robin", typeof(RoundRobinStrategy))]
    [InlineData("Weighted", typeof(WeightedStrategy))]
    [InlineData("latency", typeof(LatencyStrategy))]
    [InlineData("least-inflight", typeof(LeastInFlightStrategy))]
    [InlineData("prefix-aware", typeof(PrefixAwareStrategy))]
    [InlineData(null, typeof(PrefixAwareStrategy))]
    public void For_ModelRoutingName_ThatStrategy(string? name, Type expected)
    {
        Assert.IsType(expected, new RoutingStrategies().For(Model(name)));
    }

    private static ModelDefinition Model(string? routing) =>
        new("m", [], "tests", 0, ModelPrice.Free, routing!, [], [A, B, C], ModelSource.Configuration);

    private static DeploymentDefinition Deployment(string id, int weight) =>
        new(id, "echo", null, null, null, weight, null, null, null, null, DeploymentTimeouts.Default);

    private sealed class Loads : IDeploymentLoads
    {
        public Dictionary<string, int> InFlight { get; } = [];

        public Dictionary<string, double> FirstToken { get; } = [];

        public int ClusterInFlight(DeploymentDefinition deployment) => InFlight.GetValueOrDefault(deployment.Id);

        /// <summary>Waiting for their first token; unset, all in flight are.</summary>
        public Dictionary<string, int> Waiting { get; } = [];

        public int ClusterWaiting(DeploymentDefinition deployment) => Waiting.TryGetValue(deployment.Id, out var waiting) ? waiting : ClusterInFlight(deployment);

        public double FirstTokenMs(DeploymentDefinition deployment) => FirstToken.GetValueOrDefault(deployment.Id);

        public string? PrefixHome(ModelDefinition model, ulong anchor) => null;

        public PrefixCacheEstimate CacheOf(DeploymentDefinition deployment) => new(null);
    }
}
