using Cluster.Relay.Views;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cluster.Api.Admin.Responses;
using Cluster.Api.Auth;
using Cluster.Api.OpenAI;
using Cluster.Grains.Access;
using Cluster.Grains.Errors;
using Cluster.Grains.Models;
using Cluster.Relay.Providers;
using Cluster.Hosting.Configuration;
using Microsoft.Extensions.Options;

namespace Cluster.Api.Admin;

/// <summary>
/// <c>/admin/...</c>: runtime changes to the catalog (durable in the registry grain), authorised
/// by the admin key alone. Deployment keys are never returned, only whether one is set.
/// </summary>
internal static partial class AdminEndpoints
{
    public static IEndpointRouteBuilder MapAdmin(this IEndpointRouteBuilder routes)
    {
        var admin = routes.MapGroup("/admin").AddEndpointFilter(RequireAdminKeyAsync);
        admin.MapGet("/models", ListModelsAsync);
        admin.MapPut("/models/{**name}", PutModelAsync);
        admin.MapDelete("/models/{**name}", DeleteModelAsync);
        admin.MapTenantAdmin();
        admin.MapSessionAdmin();
        admin.MapUsageAdmin();
        admin.MapClusterAdmin();
        return routes;
    }

    private static async ValueTask<object?> RequireAdminKeyAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        var options = context.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value;
        var expected = SecretReference.Resolve(options.AdminKey);
        var given = CallerAuthenticator.BearerToken(context.Request);
        var failures = context.RequestServices.GetRequiredService<FailedAuthentications>();

        // Every refusal is thrown and answered by the error boundary (ErrorBoundaryMiddleware).
        failures.ThrowIfLockedOut(context);
        if (expected is null)
        {
            throw new GatewayException(GatewayErrorCode.InvalidApiKey, "The admin API is disabled: set Auth:AdminKey to enable it.");
        }

        if (given is null)
        {
            throw CallerAuthenticator.InvalidKey(missing: true);
        }

        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(expected))))
        {
            // Compared as hashes of equal length in constant time: the answer's timing says nothing about the key.
            // A valid tenant key is known but not enough (403); anything else is not a key (401), and counts as a failure.
            var access = context.RequestServices.GetRequiredService<AccessView>();
            if ((await access.GetAsync()).TryFindKey(KeyHash.Of(given), out _, out _))
            {
                throw new GatewayException(GatewayErrorCode.AdminKeyRequired, "This route needs the admin key; a tenant key cannot use it.");
            }

            // Throws the lockout instead once this address has failed too often.
            await failures.RecordFailureAsync(context);
            throw CallerAuthenticator.InvalidKey(missing: false);
        }

        return await next(invocation);
    }

    private static async Task<IResult> ListModelsAsync(ModelCatalogView catalog)
    {
        var snapshot = await catalog.LoadAsync();
        return Results.Json(new AdminList<AdminModel>(snapshot.Models.Select(Describe)) { Version = snapshot.Version });
    }

    private static async Task<IResult> PutModelAsync(string name, HttpContext context, IGrainFactory grains, ModelCatalogView catalog)
    {
        if (!Identifiers.IsModelName(name))
        {
            throw GatewayException.BadRequest($"The model name '{Identifiers.Shown(name)}' is not allowed: {Identifiers.ModelRule}.", "name");
        }

        var options = await AdminBodies.ReadAsync<ModelOptions>(context, "model definition");
        options.Name = name;
        var snapshot = await catalog.LoadAsync();
        var check = new CatalogOptions { Models = [options] };
        var errors = new CatalogOptionsValidator().Validate(null, check);
        var problems = errors.Failed
            ? errors.Failures!.Where(f => !f.Contains(":Fallbacks:", StringComparison.Ordinal)).ToList()
            : [];
        problems.AddRange(options.Fallbacks.Where(f => !snapshot.TryResolve(f, out _)).Select(f => $"Fallbacks: '{f}' is not a model."));
        if (problems.Count > 0)
        {
            throw GatewayException.BadRequest(string.Join(" ", problems.Select(p => p.Replace("Models:0:", "", StringComparison.Ordinal))), null);
        }

        var definition = check.ToDefinitions()[0];
        var registry = grains.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key);
        var updated = await registry.UpsertAsync(definition);
        await catalog.LoadAsync();
        var stored = updated.Models.First(m => m.Name == name);
        return Results.Json(Describe(stored));
    }

    private static async Task<IResult> DeleteModelAsync(string name, IGrainFactory grains, ModelCatalogView catalog)
    {
        var removed = await grains.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key).RemoveAsync(name);
        if (!removed)
        {
            throw new GatewayException(GatewayErrorCode.ModelNotFound, $"The model '{name}' does not exist.", "model");
        }

        await catalog.LoadAsync();
        return Results.Json(new AdminDeletion(name, "model"));
    }

    private static AdminModel Describe(ModelDefinition model) => new(
        Id: model.Name,
        Created: model.Created,
        OwnedBy: model.OwnedBy,
        Aliases: model.Aliases,
        Routing: model.Routing,
        Fallbacks: model.Fallbacks,
        Source: model.Source.ToString(),
        Price: new AdminModelPrice(model.Price.InputPerMTok, model.Price.OutputPerMTok, model.Price.CachedInputPerMTok),
        Deployments: model.Deployments.Select(d => new AdminDeployment(
            Id: d.Id,
            Provider: d.Provider,
            BaseUrl: d.BaseUrl,
            UpstreamModel: d.UpstreamModel,
            Weight: d.Weight,
            Rpm: d.Rpm,
            Tpm: d.Tpm,
            MaxConcurrency: d.MaxConcurrency,
            CacheTokens: d.CacheTokens,
            HasApiKey: d.ApiKey is not null)));
}
