namespace Cluster.Grains.Routing;

/// <summary>What one silo saw of a deployment since its last report.</summary>
[GenerateSerializer, Immutable, Alias("Cluster.DeploymentReport")]
public sealed record DeploymentReport(
    [property: Id(0)] string Reporter,
    [property: Id(1)] int InFlight,
    [property: Id(2)] int Successes,
    [property: Id(3)] int Failures,
    [property: Id(4)] string? LastFailure,
    [property: Id(5)] TimeSpan? ThrottledFor)
{
    /// <summary>Of <see cref="InFlight"/>, the requests still waiting for their first token: the deployment's queue and prefill.</summary>
    [Id(6)]
    public int Waiting { get; init; }
}
