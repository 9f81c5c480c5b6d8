namespace Cluster.Relay.Routing.Strategies;

/// <summary>A shuffled copy, so strategies that sort break ties at random.</summary>
internal static class Shuffle
{
    public static DeploymentDefinition[] Copy(DeploymentDefinition[] deployments)
    {
        var copy = (DeploymentDefinition[])deployments.Clone();
        Random.Shared.Shuffle(copy);
        return copy;
    }
}
