namespace Cluster.Grains.Models;

/// <summary>A versioned snapshot of the catalog; the version grows with every change.</summary>
[GenerateSerializer, Immutable, Alias("Cluster.ModelCatalog")]
public sealed record ModelCatalog(
    [property: Id(0)] long Version,
    [property: Id(1)] ModelDefinition[] Models)
{
    public static readonly ModelCatalog Empty = new(0, []);
}
