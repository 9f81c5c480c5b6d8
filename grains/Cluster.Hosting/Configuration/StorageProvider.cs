namespace Cluster.Hosting.Configuration;

/// <summary><c>Storage:Provider</c>: where grain state lives.</summary>
public enum StorageProvider
{
    /// <summary>In the silo's memory (the default): lost when the silo stops.</summary>
    Memory,

    /// <summary>Azure Table storage (Azurite locally).</summary>
    AzureTable,
}
