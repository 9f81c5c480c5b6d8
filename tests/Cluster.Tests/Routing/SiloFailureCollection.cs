namespace Cluster.Tests.Routing;

/// <summary>Run alone, after the parallel tests: membership and failover timings are what is measured.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SiloFailureCollection
{
    public const string Name = "silo failure";
}
