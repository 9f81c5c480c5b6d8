using System.Collections.Frozen;

namespace Cluster.Relay.Routing.Strategies;

/// <summary>The routing strategies by name: the one place a model's <c>Routing</c> setting is read.</summary>
public sealed class RoutingStrategies
{
    /// <summary>
    /// What a model without a <c>Routing</c> setting uses. Prefix-aware falls back to least in flight
    /// for prompts shorter than one block, and a single deployment is never ranked at all.
    /// </summary>
    public const string Default = PrefixAwareStrategy.RoutingName;

    private readonly FrozenDictionary<string, IRoutingStrategy> _byName;

    internal RoutingStrategies(RoutingOptions? options = null)
    {
        options ??= new RoutingOptions();
        IRoutingStrategy[] all = [new PrefixAwareStrategy(options.PrefixSpillPercent / 100.0, options.PrefixMinInFlight), new LeastInFlightStrategy(), new RoundRobinStrategy(), new WeightedStrategy(), new LatencyStrategy()];
        _byName = all.ToFrozenDictionary(s => s.Name, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Every name a model may give.</summary>
    public static readonly string[] Names = ["prefix-aware", "least-inflight", "round-robin", "weighted", "latency"];

    /// <summary>The model's strategy; an unknown name (refused at start-up) falls back to the default.</summary>
    internal IRoutingStrategy For(ModelDefinition model) =>
        model.Routing is { } name && _byName.TryGetValue(name, out var strategy) ? strategy : _byName[Default];
}
