using System.Collections.Frozen;

namespace Cluster.Relay.Routing.Strategies;

/// <summary>The routing strategies by name: the one place a model's <c>Routing</c> setting is read.</summary>
public sealed class RoutingStrategies
{
    /// <summary>
    /// What a model without a <c>Routing</c> setting uses. Prefix-aware falls back to least in flight
    /// for prompts shorter than one block, and a single deployment is never ranked at all.
    /// </summary>
    public const ModelRouting Default = ModelRouting.PrefixAware;

    private readonly FrozenDictionary<ModelRouting, IRoutingStrategy> _byKind;

    internal RoutingStrategies(RoutingOptions? options = null)
    {
        options ??= new RoutingOptions();
        _byKind = new Dictionary<ModelRouting, IRoutingStrategy>
        {
            [ModelRouting.PrefixAware] = new PrefixAwareStrategy(options.PrefixSpillPercent / 100.0, options.PrefixMinInFlight),
            [ModelRouting.LeastInFlight] = new LeastInFlightStrategy(),
            [ModelRouting.RoundRobin] = new RoundRobinStrategy(),
            [ModelRouting.Weighted] = new WeightedStrategy(),
            [ModelRouting.Latency] = new LatencyStrategy(),
        }.ToFrozenDictionary();
    }

    /// <summary>The model's strategy; an unknown name (refused at start-up) falls back to the default.</summary>
    internal IRoutingStrategy For(ModelDefinition model) =>
        _byKind[SettingNames<ModelRouting>.TryParse(model.Routing, out var kind) ? kind : Default];
}
