using Cluster.Grains.Errors;
using Microsoft.Extensions.Logging;

namespace Cluster.Grains.Models;

/// <summary>
/// The catalog, one activation per cluster. Reads are cheap and frequent (every front-end polls
/// the version), writes rare; reads are marked <c>[ReadOnly]</c>-style by being pure, and writes
/// are persisted before they return so a restarted silo serves the same catalog.
/// </summary>
internal sealed partial class ModelRegistryGrain(
    [PersistentState("registry", GrainStorage.Name)] IPersistentState<ModelRegistryState> state,
    TimeProvider time,
    ILogger<ModelRegistryGrain> logger) : Grain, IModelRegistryGrain
{
    private ModelCatalog? _catalog;

    public Task<ModelCatalog> GetCatalogAsync() => Task.FromResult(_catalog ??= Snapshot());

    public Task<long> GetVersionAsync() => Task.FromResult(state.State.Version);

    public async Task ApplyConfigurationAsync(ModelDefinition[] models, string configurationHash)
    {
        if (state.State.ConfigurationHash == configurationHash)
        {
            return;
        }

        var current = state.State.Models;
        foreach (var (name, model) in current.ToArray())
        {
            if (model.Source == ModelSource.Configuration)
            {
                current.Remove(name);
            }
        }

        foreach (var model in models)
        {
            // A model configured by file replaces an admin entry of the same name: the file is the
            // operator's latest word.
            current[model.Name] = WithCreated(model);
        }

        state.State.ConfigurationHash = configurationHash;
        await SaveAsync();
        LogConfigurationApplied(logger, models.Length, state.State.Version);
    }

    public async Task<ModelCatalog> UpsertAsync(ModelDefinition model)
    {
        foreach (var (name, other) in state.State.Models)
        {
            if (name != model.Name && (other.Aliases.Contains(model.Name) || model.Aliases.Any(a => a == name || other.Aliases.Contains(a))))
            {
                throw GatewayException.BadRequest($"The name or an alias of '{model.Name}' is already used by '{name}'.", "aliases");
            }
        }

        state.State.Models[model.Name] = WithCreated(model with { Source = ModelSource.Admin });
        await SaveAsync();
        return _catalog!;
    }

    public async Task<bool> RemoveAsync(string name)
    {
        if (!state.State.Models.Remove(name))
        {
            return false;
        }

        await SaveAsync();
        return true;
    }

    private ModelDefinition WithCreated(ModelDefinition model)
    {
        if (model.Created != 0)
        {
            return model;
        }

        var created = state.State.Models.TryGetValue(model.Name, out var existing) && existing.Created != 0
            ? existing.Created
            : time.GetUtcNow().ToUnixTimeSeconds();
        return model with { Created = created };
    }

    private async Task SaveAsync()
    {
        state.State.Version++;
        await state.WriteStateAsync();
        _catalog = Snapshot();
    }

    private ModelCatalog Snapshot() =>
        new(state.State.Version, [.. state.State.Models.Values.OrderBy(m => m.Name, StringComparer.Ordinal)]);

    [LoggerMessage(1, LogLevel.Information, "Applied {Count} configured models to the catalog, now at version {Version}")]
    private static partial void LogConfigurationApplied(ILogger logger, int count, long version);
}
