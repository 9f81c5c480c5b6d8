using System.Collections.Frozen;

namespace Cluster.Relay.Routing.Strategies;

/// <summary>The routing strategies by name: the one place a model's <c>Routing</c> setting is read.</summary>
public sealed class RoutingStrategies
{
    public const string Default = "least-inflight";

    private readonly FrozenDictionary<string, IRoutingStrategy> _byName;

    internal RoutingStrategies()
    {
        IRoutingStrategy[] all = [new LeastInFlightStrategy(), new RoundRobinStrategy(), new WeightedStrategy(), new LatencyStrategy()];
        _byName = all.ToFrozenDictionary(s => s.Name, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Every name a model may give.</summary>
    public static readonly string[] Names = ["least-inflight", "round-robin", "weighted", "latency"];

    /// <summary>The model's strategy; an unknown name (refused at start-up) falls back to the default.</summary>
    internal IRoutingStrategy For(ModelDefinition model) =>
        model.Routing is { } name && _byName.TryGetValue(name, out var strategy) ? strategy : _byName[Default];
}
