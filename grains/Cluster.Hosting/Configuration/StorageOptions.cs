namespace Cluster.Hosting.Configuration;

/// <summary>The <c>Storage</c> section: where grain state lives.</summary>
public sealed class StorageOptions
{
    public const string SectionName = "Storage";

    public const string DefaultConnectionString = "UseDevelopmentStorage=true";

    /// <summary><c>Memory</c> (the default) or <c>AzureTable</c>.</summary>
    public StorageProvider Provider { get; set; } = StorageProvider.Memory;

    /// <summary>The Azure Storage connection string (Azurite's by default).</summary>
    public string ConnectionString { get; set; } = DefaultConnectionString;

    public bool IsAzureTable => Provider == StorageProvider.AzureTable;
}
