namespace Cluster.Grains.Routing;

/// <summary>The cluster's one view of a deployment: its circuit, when a cooldown ends, and its requests in flight across all silos.</summary>
[GenerateSerializer, Immutable, Alias("Cluster.DeploymentStatus")]
public sealed record DeploymentStatus(
    [property: Id(0)] CircuitState State,
    [property: Id(1)] DateTimeOffset? CooldownUntil,
    [property: Id(2)] int ClusterInFlight,
    [property: Id(3)] string? LastFailure)
{
    public static readonly DeploymentStatus Healthy = new(CircuitState.Closed, null, 0, null);

    /// <summary>Of <see cref="ClusterInFlight"/>, the requests still waiting for their first token, across all silos.</summary>
    [Id(4)]
    public int ClusterWaiting { get; init; }
}
