using Cluster.Bench.Processes;

namespace Cluster.Bench.Gateway;

/// <summary>A running gateway — one process, or an API process in front of silos.</summary>
internal sealed record GatewayInstance(
    string Name,
    GatewayVariant Variant,
    Uri Root,
    ChildProcess Api,
    IReadOnlyList<ChildProcess> Silos)
{
    /// <summary>The OpenAI base URL clients are given.</summary>
    public Uri BaseUri => new(Root, "v1/");

    public Uri MetricsUri => new(Root, "metrics");

    public Uri ReadyUri => new(Root, "health/ready");

    public IEnumerable<ChildProcess> Processes => Silos.Prepend(Api);
}
