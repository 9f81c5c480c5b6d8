namespace Cluster.Relay.Routing.Strategies;

/// <summary><c>least-inflight</c>: fewest requests in flight across the cluster per unit of weight; ties at random.</summary>
internal sealed class LeastInFlightStrategy : IRoutingStrategy
{
    public string Name => "least-inflight";

    public DeploymentDefinition[] Order(ModelDefinition model, DeploymentDefinition[] deployments, IDeploymentLoads loads, PromptBlocks prompt) =>
        [.. Shuffle.Copy(deployments).OrderBy(d => (loads.ClusterInFlight(d) + 1.0) / Math.Max(d.Weight, 1))];
}
