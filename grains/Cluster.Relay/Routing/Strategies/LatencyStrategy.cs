namespace Cluster.Relay.Routing.Strategies;

/// <summary><c>latency</c>: lowest moving average of time to first token; unmeasured deployments first, so each gets measured.</summary>
internal sealed class LatencyStrategy : IRoutingStrategy
{
    public string Name => "latency";

    public DeploymentDefinition[] Order(ModelDefinition model, DeploymentDefinition[] deployments, IDeploymentLoads loads, PromptBlocks prompt) =>
        [.. Shuffle.Copy(deployments).OrderBy(loads.FirstTokenMs)];
}
