using Cluster.Grains.Models;

namespace Cluster.Hosting.Configuration;

/// <summary>One entry of <c>Models</c>: a public model name and the deployments that serve it.</summary>
public sealed class ModelOptions
{
    public string? Name { get; set; }

    public List<string> Aliases { get; set; } = [];

    public string? OwnedBy { get; set; }

    public PriceOptions? Price { get; set; }

    /// <summary><c>prefix-aware</c> (default), <c>least-inflight</c>, <c>round-robin</c>, <c>weighted</c> or <c>latency</c>.</summary>
    public ModelRouting? Routing { get; set; }

    /// <summary>Other models tried, in order, when every deployment of this one failed.</summary>
    public List<string> Fallbacks { get; set; } = [];

    public List<DeploymentOptions> Deployments { get; set; } = [];
}
