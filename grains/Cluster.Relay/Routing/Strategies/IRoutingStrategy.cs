namespace Cluster.Relay.Routing.Strategies;

/// <summary>
/// Orders a model's usable deployments for one request, best first (<c>Models[]:Routing</c>). Called
/// only with two or more deployments; returns a new array and leaves the input as it is.
/// </summary>
internal interface IRoutingStrategy
{
    /// <summary>The name that selects the strategy in configuration.</summary>
    string Name { get; }

    DeploymentDefinition[] Order(ModelDefinition model, DeploymentDefinition[] deployments, IDeploymentLoads loads);
}
