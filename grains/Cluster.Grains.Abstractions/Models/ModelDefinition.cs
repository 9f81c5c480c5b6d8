namespace Cluster.Grains.Models;

/// <summary>A model as the catalog knows it: its public name, aliases, price and deployments.</summary>
[GenerateSerializer, Immutable, Alias("Cluster.ModelDefinition")]
public sealed record ModelDefinition(
    [property: Id(0)] string Name,
    [property: Id(1)] string[] Aliases,
    [property: Id(2)] string OwnedBy,
    [property: Id(3)] long Created,
    [property: Id(4)] ModelPrice Price,
    [property: Id(5)] string Routing,
    [property: Id(6)] string[] Fallbacks,
    [property: Id(7)] DeploymentDefinition[] Deployments,
    [property: Id(8)] ModelSource Source);
