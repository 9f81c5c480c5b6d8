namespace Cluster.Grains.Routing;

/// <summary>
/// The deployments a new prefix may live on, in the prefix's rendezvous order (best first), with
/// their weights; <see cref="Slack"/> is how far over its weighted share of the homes' load a
/// deployment may go and still take a new one (0.1: 10 %).
/// </summary>
[GenerateSerializer, Immutable, Alias("Cluster.PrefixHomeCandidates")]
public sealed record PrefixHomeCandidates(
    [property: Id(0)] string[] DeploymentIds,
    [property: Id(1)] int[] Weights,
    [property: Id(2)] double Slack);
