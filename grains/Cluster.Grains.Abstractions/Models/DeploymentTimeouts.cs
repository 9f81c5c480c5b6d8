namespace Cluster.Grains.Models;

/// <summary>Time limits for one upstream call.</summary>
[GenerateSerializer, Immutable, Alias("Cluster.DeploymentTimeouts")]
public sealed record DeploymentTimeouts(
    [property: Id(0)] TimeSpan Connect,
    [property: Id(1)] TimeSpan FirstToken,
    [property: Id(2)] TimeSpan Idle,
    [property: Id(3)] TimeSpan Total)
{
    public static readonly DeploymentTimeouts Default = new(
        TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(120), TimeSpan.FromMinutes(30));
}
