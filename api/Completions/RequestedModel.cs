using Cluster.Api.Auth;
using Cluster.Grains.Errors;
using Cluster.Grains.Models;
using Cluster.Relay.Views;

namespace Cluster.Api.Completions;

/// <summary>
/// The model a request names, resolved as every completion endpoint resolves it: by name or alias
/// in this front-end's copy of the catalog, or in a fresh copy when that one does not know it (a
/// model added a moment ago through another front-end); 404 when neither does, 403 when the
/// caller may not use it. With it come its fallbacks, resolved in the same copy.
/// </summary>
internal sealed record RequestedModel(ModelDefinition Model, IReadOnlyList<ModelDefinition> Candidates)
{
    public static async Task<RequestedModel> ResolveAsync(ModelCatalogView catalog, AuthenticatedCaller caller, string requested)
    {
        var snapshot = await catalog.GetAsync();
        if (!snapshot.TryResolve(requested, out var definition))
        {
            snapshot = await catalog.GetFreshAsync();
        }

        if (!snapshot.TryResolve(requested, out definition))
        {
            throw new GatewayException(GatewayErrorCode.ModelNotFound, $"The model '{requested}' does not exist or you do not have access to it.", "model");
        }

        caller.EnsureMayUse(definition, requested);
        return new RequestedModel(definition, WithFallbacks(snapshot, definition));
    }

    /// <summary>The model, then its fallbacks, each resolved in the same copy of the catalog.</summary>
    private static List<ModelDefinition> WithFallbacks(CatalogSnapshot snapshot, ModelDefinition model)
    {
        var models = new List<ModelDefinition>(1 + model.Fallbacks.Length) { model };
        foreach (var name in model.Fallbacks)
        {
            if (snapshot.TryResolve(name, out var fallback) && !models.Contains(fallback))
            {
                models.Add(fallback);
            }
        }

        return models;
    }
}
