namespace Cluster.Hosting.Configuration;

/// <summary><c>Clustering:Provider</c>: how silos find each other.</summary>
public enum MembershipProvider
{
    /// <summary>Fixed ports on one host (the default).</summary>
    Localhost,

    /// <summary>A membership table in Azure Table storage.</summary>
    AzureTable,
}
