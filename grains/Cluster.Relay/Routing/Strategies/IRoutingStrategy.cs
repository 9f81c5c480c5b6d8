namespace Cluster.Relay.Routing.Strategies;

/// <summary>
/// Orders a model's usable deployments for one request, best first (<c>Models[]:Routing</c>). Called
/// only with two or more deployments; returns a new array and leaves the input as it is.
/// </summary>
internal interface IRoutingStrategy
{
    /// <summary>The name that selects the strategy in configuration.</summary>
    string Name { get; }

    /// <summary>The deployments best first; <paramref name="prompt"/> is the request's prompt in hashed blocks (<see cref="PromptBlocks.None"/> when there is none).</summary>
    DeploymentDefinition[] Order(ModelDefinition model, DeploymentDefinition[] deployments, IDeploymentLoads loads, PromptBlocks prompt);
}
