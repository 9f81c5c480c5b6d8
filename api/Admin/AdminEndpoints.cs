using Cluster.Relay.Views;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
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
    private static readonly JsonSerializerOptions ReadOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        PropertyNameCaseInsensitive = true,
    };

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
        GatewayException? error = null;
        try
        {
            failures.ThrowIfLockedOut(context);
        }
        catch (GatewayException lockedOut)
        {
            error = lockedOut;
        }

        if (error is null && expected is null)
        {
            error = new GatewayException(GatewayErrorCode.InvalidApiKey, "The admin API is disabled: set Auth:AdminKey to enable it.");
        }
        else if (error is null && given is null)
        {
            error = CallerAuthenticator.InvalidKey(missing: true);
        }
        else if (error is null && !CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given!)), SHA256.HashData(Encoding.UTF8.GetBytes(expected!))))
        {
            // Compared as hashes of equal length in constant time: the answer's timing says nothing about the key.
            // A valid tenant key is known but not enough (403); anything else is not a key (401), and counts as a failure.
            var access = context.RequestServices.GetRequiredService<AccessView>();
            if ((await access.GetAsync()).TryFindKey(KeyHash.Of(given!), out _, out _))
            {
                error = new GatewayException(GatewayErrorCode.AdminKeyRequired, "This route needs the admin key; a tenant key cannot use it.");
            }
            else
            {
                error = CallerAuthenticator.InvalidKey(missing: false);
                try
                {
                    await failures.RecordFailureAsync(context);
                }
                catch (GatewayException lockedOut)
                {
                    error = lockedOut;
                }
            }
        }

        if (error is not null)
        {
            await OpenAIErrors.WriteAsync(context, error);

            // The error is the whole response. A null result would be written after it as JSON
            // "null", which throws once the response has started and aborts the connection.
            return Results.Empty;
        }

        try
        {
            return await next(invocation);
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            var logger = context.RequestServices.GetRequiredService<ILogger<AuthOptions>>();
            await OpenAIErrors.WriteAsync(context, OpenAIErrors.From(ex, logger));
            return Results.Empty;
        }
    }

    private static async Task<IResult> ListModelsAsync(ModelCatalogView catalog)
    {
        var snapshot = await catalog.LoadAsync();
        return Results.Json(new { @object = "list", version = snapshot.Version, data = snapshot.Models.Select(Describe) });
    }

    private static async Task<IResult> PutModelAsync(string name, HttpContext context, IGrainFactory grains, ModelCatalogView catalog)
    {
        if (!Identifiers.IsModelName(name))
        {
            throw GatewayException.BadRequest($"The model name '{Identifiers.Shown(name)}' is not allowed: {Identifiers.ModelRule}.", "name");
        }

        ModelOptions? options;
        try
        {
            options = await JsonSerializer.DeserializeAsync<ModelOptions>(context.Request.Body, ReadOptions, context.RequestAborted);
        }
        catch (JsonException ex)
        {
            throw GatewayException.BadRequest($"The model definition is not valid JSON: {ex.Message}", null);
        }

        if (options is null)
        {
            throw GatewayException.BadRequest("Send a model definition as a JSON object.", null);
        }

        options.Name = name;
        var snapshot = await catalog.LoadAsync();
        var check = new CatalogOptions { Models = [options] };
        var errors = new ClusterConfigurationValidator().Validate(null, check);
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
        return Results.Json(new { id = name, @object = "model", deleted = true });
    }

    private static object Describe(ModelDefinition model) => new
    {
        id = model.Name,
        @object = "model",
        created = model.Created,
        owned_by = model.OwnedBy,
        aliases = model.Aliases,
        routing = model.Routing,
        fallbacks = model.Fallbacks,
        source = model.Source.ToString(),
        price = new { input_per_mtok = model.Price.InputPerMTok, output_per_mtok = model.Price.OutputPerMTok, cached_input_per_mtok = model.Price.CachedInputPerMTok },
        deployments = model.Deployments.Select(d => new
        {
            id = d.Id,
            provider = d.Provider,
            base_url = d.BaseUrl,
            upstream_model = d.UpstreamModel,
            weight = d.Weight,
            rpm = d.Rpm,
            tpm = d.Tpm,
            max_concurrency = d.MaxConcurrency,
            cache_tokens = d.CacheTokens,
            has_api_key = d.ApiKey is not null,
        }),
    };
}
