using System.Collections.Frozen;

namespace Cluster.Grains.Models;

/// <summary>A catalog indexed by model name and alias, built once per catalog version.</summary>
public sealed class CatalogSnapshot
{
    private readonly FrozenDictionary<string, ModelDefinition> _byName;

    public CatalogSnapshot(ModelCatalog catalog)
    {
        Catalog = catalog;
        var byName = new Dictionary<string, ModelDefinition>(StringComparer.Ordinal);
        foreach (var model in catalog.Models)
        {
            byName[model.Name] = model;
        }

        // Aliases never shadow a real model name.
        foreach (var model in catalog.Models)
        {
            foreach (var alias in model.Aliases)
            {
                byName.TryAdd(alias, model);
            }
        }

        _byName = byName.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public ModelCatalog Catalog { get; }

    public long Version => Catalog.Version;

    public IReadOnlyList<ModelDefinition> Models => Catalog.Models;

    /// <summary>Finds a model by its name or one of its aliases.</summary>
    public bool TryResolve(string nameOrAlias, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ModelDefinition? model) =>
        _byName.TryGetValue(nameOrAlias, out model);
}
