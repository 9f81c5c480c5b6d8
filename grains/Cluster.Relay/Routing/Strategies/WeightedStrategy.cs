namespace Cluster.Relay.Routing.Strategies;

/// <summary><c>weighted</c>: the first deployment drawn at random by weight, the rest heaviest first.</summary>
internal sealed class WeightedStrategy : IRoutingStrategy
{
    public string Name => "weighted";

    public DeploymentDefinition[] Order(ModelDefinition model, DeploymentDefinition[] deployments, IDeploymentLoads loads, PromptBlocks prompt)
    {
        var total = deployments.Sum(d => Math.Max(d.Weight, 0));
        var pick = total == 0 ? 0 : Random.Shared.Next(total);
        var first = 0;
        for (var i = 0; i < deployments.Length; i++)
        {
            pick -= Math.Max(deployments[i].Weight, 0);
            if (pick < 0)
            {
                first = i;
                break;
            }
        }

        return [deployments[first], .. deployments.Where((_, i) => i != first).OrderByDescending(d => d.Weight)];
    }
}
