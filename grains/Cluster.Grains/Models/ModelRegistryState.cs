using Cluster.Grains.Models;

namespace Cluster.Grains.Models;

/// <summary>The registry's durable state. Stored with the Orleans serializer, so the alias, not the .NET type name, identifies it.</summary>
[GenerateSerializer, Alias("Cluster.ModelRegistryState")]
public sealed class ModelRegistryState
{
    [Id(0)] public long Version { get; set; }

    [Id(1)] public Dictionary<string, ModelDefinition> Models { get; set; } = new(StringComparer.Ordinal);

    [Id(2)] public string? ConfigurationHash { get; set; }
}
