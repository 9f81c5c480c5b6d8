namespace Cluster.Tests.Limits;

/// <summary>The tests that share one <see cref="LimiterClusterFixture"/>; they run one after the other because they share its clock.</summary>
[CollectionDefinition(Name)]
public sealed class LimiterCluster : ICollectionFixture<LimiterClusterFixture>
{
    public const string Name = "limiter cluster";
}
