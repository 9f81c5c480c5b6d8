namespace Cluster.Hosting.Configuration;

/// <summary>One entry of <c>Models</c>: a public model name and the deployments that serve it.</summary>
public sealed class ModelOptions
{
    public string? Name { get; set; }

    public List<string> Aliases { get; set; } = [];

    public string? OwnedBy { get; set; }

    public PriceOptions? Price { get; set; }

    /// <summary><c>least-inflight</c> (default), <c>round-robin</c>, <c>weighted</c> or <c>latency</c>.</summary>
    public string? Routing { get; set; }

    /// <summary>Other models tried, in order, when every deployment of this one failed.</summary>
    public List<string> Fallbacks { get; set; } = [];

    public List<DeploymentOptions> Deployments { get; set; } = [];
}
