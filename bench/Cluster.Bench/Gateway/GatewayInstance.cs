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

    /// <summary>The co-hosted silo's port, for a gateway started with one (<see cref="GatewayLauncher.StartSingleAsync"/>).</summary>
    public int? SiloPort { get; init; }

    public Uri ReadyUri => new(Root, "health/ready");

    public IEnumerable<ChildProcess> Processes => Silos.Prepend(Api);
}
