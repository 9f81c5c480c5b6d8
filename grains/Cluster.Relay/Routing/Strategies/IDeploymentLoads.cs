namespace Cluster.Relay.Routing.Strategies;

/// <summary>What the balancer knows of each deployment, as the strategies read it.</summary>
internal interface IDeploymentLoads
{
    /// <summary>Requests in flight on the deployment across the cluster (others' at the last sync plus this front-end's now).</summary>
    int ClusterInFlight(DeploymentDefinition deployment);

    /// <summary>Of those, the requests still waiting for their first token: the deployment's queue (and prefill) as the cluster sees it.</summary>
    int ClusterWaiting(DeploymentDefinition deployment);

    /// <summary>Moving average of time to first token, in milliseconds; 0 until measured.</summary>
    double FirstTokenMs(DeploymentDefinition deployment);

    /// <summary>The id of the prefix's home deployment (<see cref="PrefixHomes"/>); null when not known.</summary>
    string? PrefixHome(ModelDefinition model, ulong anchor);

    /// <summary>What this front-end believes the deployment's prefix cache holds.</summary>
    PrefixCacheEstimate CacheOf(DeploymentDefinition deployment);
}
