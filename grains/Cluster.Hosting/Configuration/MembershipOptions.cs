namespace Cluster.Hosting.Configuration;

/// <summary>The <c>Clustering</c> section: how silos find each other.</summary>
public sealed class MembershipOptions
{
    public const string SectionName = "Clustering";

    /// <summary><c>Localhost</c> (the default) or <c>AzureTable</c>.</summary>
    public MembershipProvider Provider { get; set; } = MembershipProvider.Localhost;

    /// <summary>Defaults to <c>Storage:ConnectionString</c>.</summary>
    public string? ConnectionString { get; set; }

    public bool IsAzureTable => Provider == MembershipProvider.AzureTable;
}
