namespace Cluster.Hosting.Configuration;

/// <summary><c>Cluster:Mode</c>: how the api process takes part in the cluster.</summary>
public enum ClusterMode
{
    /// <summary>A silo in the same process (the default).</summary>
    CoHosted,

    /// <summary>A pure Orleans client of silos that run elsewhere.</summary>
    Client,
}
