using Cluster.Bench.Gateway;
using Cluster.Bench.Load;
using Cluster.Bench.Processes;

namespace Cluster.Bench.Runner;

/// <summary>One way of reaching the fake upstream: directly, through YARP, or through a gateway.</summary>
internal sealed class BenchTarget(string name, string description)
{
    public string Name { get; } = name;

    public string Description { get; } = description;

    /// <summary>The OpenAI base URL (ending in <c>/v1/</c>); null while not started.</summary>
    public Uri? BaseUri { get; set; }

    public string? BearerToken { get; set; }

    public List<ChildProcess> Processes { get; } = [];

    public GatewayMetricsProbe? Metrics { get; set; }

    public GatewayInstance? Gateway { get; set; }

    /// <summary>Why the target was not measured (skipped, failed to start, failed its probe).</summary>
    public string? Failure { get; set; }

    /// <summary>What the probe noticed without failing the target (e.g. a field not rewritten).</summary>
    public List<string> Notes { get; } = [];

    public bool Ready => BaseUri is not null && Failure is null;

    public RequestProfile Profile(bool stream) => new(
        new Uri(BaseUri!, "chat/completions"),
        stream ? BenchRequests.StreamedChat : BenchRequests.Chat,
        stream,
        BearerToken);
}
