using Cluster.Grains.Completions;
using Cluster.Grains.Models;

namespace Cluster.Relay.Providers;

/// <summary>One attempt of a request against one deployment.</summary>
internal sealed record UpstreamCall(ModelDefinition Model, DeploymentDefinition Deployment, CompletionRequest Request)
{
    /// <summary>The model name the backend knows.</summary>
    public string UpstreamModel => Deployment.UpstreamModel ?? Model.Name;
}
