namespace Cluster.Relay.Cluster;

/// <summary>How the request path rides out cluster faults (part of the <c>Cluster</c> section).</summary>
public sealed class RelayClusterOptions
{
    public const string SectionName = "Cluster";

    /// <summary>
    /// How long a request keeps resending a grain call the cluster rejected (its silo died, is
    /// stopping, or no gateway answers). Covers the time the cluster takes to declare a silo dead
    /// (a few seconds with the membership settings in <c>ClusterHosting</c>).
    /// </summary>
    public int RetryWindowSeconds { get; set; } = 20;

    /// <summary><see cref="RetryWindowSeconds"/> as a duration.</summary>
    public TimeSpan RetryWindow => TimeSpan.FromSeconds(RetryWindowSeconds);
}
