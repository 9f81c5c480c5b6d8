namespace Cluster.Hosting.Configuration;

/// <summary>The configuration is invalid; the message lists every problem, each naming its key.</summary>
public sealed class ClusterConfigurationException(IReadOnlyList<string> errors)
    : Exception("The configuration is invalid:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  - " + e)))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
