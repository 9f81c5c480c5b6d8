using Cluster.Grains.Access;

namespace Cluster.Grains.Access;

/// <summary>The access directory's durable state.</summary>
[GenerateSerializer, Alias("Cluster.AccessDirectoryState")]
public sealed class AccessDirectoryState
{
    [Id(0)] public long Version { get; set; }

    [Id(1)] public Dictionary<string, TenantDefinition> Tenants { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Keys by id.</summary>
    [Id(2)] public Dictionary<string, ApiKeyRecord> Keys { get; set; } = new(StringComparer.Ordinal);

    [Id(3)] public string? ConfigurationHash { get; set; }
}
