using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Cluster.Relay.Routing.Strategies;

/// <summary><c>round-robin</c>: each request starts one deployment further along, per model and front-end.</summary>
internal sealed class RoundRobinStrategy : IRoutingStrategy
{
    private readonly ConcurrentDictionary<string, StrongBox<int>> _next = new(StringComparer.Ordinal);

    public string Name => "round-robin";

    public DeploymentDefinition[] Order(ModelDefinition model, DeploymentDefinition[] deployments, IDeploymentLoads loads, PromptBlocks prompt)
    {
        var counter = _next.GetOrAdd(model.Name, _ => new StrongBox<int>());
        var start = (int)((uint)Interlocked.Increment(ref counter.Value) % deployments.Length);
        return [.. deployments[start..], .. deployments[..start]];
    }
}
