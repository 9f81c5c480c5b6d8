namespace Cluster.Hosting.Configuration;

/// <summary>The <c>Storage</c> section: where grain state lives.</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    /// <summary><c>Memory</c> (the default) or <c>AzureTable</c>.</summary>
    public string Provider { get; set; } = "Memory";

    public string ConnectionString { get; set; } = "UseDevelopmentStorage=true";

    public bool IsAzureTable => string.Equals(Provider, "AzureTable", StringComparison.OrdinalIgnoreCase);
}
