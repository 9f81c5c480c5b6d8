using Cluster.Relay.Views;
using System.Text.Json;
using Cluster.Api.Admin.Responses;
using Cluster.Api.Usage;
using Cluster.Grains.Access;
using Cluster.Grains.Errors;
using Cluster.Grains.Limits;
using Cluster.Grains.Models;
using Cluster.Hosting.Configuration;

namespace Cluster.Api.Admin;

/// <summary>
/// <c>/admin/tenants</c>, their keys and usage: create, list and delete tenants, issue keys (the
/// secret is returned once), list keys (never the secret), revoke keys (every front-end refuses
/// them within a few seconds), set allowed models and limits, read any tenant's usage.
/// </summary>
internal static class TenantAdminEndpoints
{
    public static RouteGroupBuilder MapTenantAdmin(this RouteGroupBuilder admin)
    {
        admin.MapGet("/tenants", ListTenantsAsync);
        admin.MapGet("/tenants/{id}", GetTenantAsync);
        admin.MapPut("/tenants/{id}", PutTenantAsync);
        admin.MapDelete("/tenants/{id}", DeleteTenantAsync);
        admin.MapPut("/tenants/{id}/models", PutModelsAsync);
        admin.MapGet("/tenants/{id}/keys", ListKeysAsync);
        admin.MapPost("/tenants/{id}/keys", IssueKeyAsync);
        admin.MapDelete("/tenants/{id}/keys/{keyId}", RevokeKeyAsync);
        admin.MapGet("/tenants/{id}/limits", GetLimiterAsync);
        return admin;
    }

    private static IAccessDirectoryGrain Directory(IGrainFactory grains) => grains.GetGrain<IAccessDirectoryGrain>(IAccessDirectoryGrain.Key);

    private static async Task<IResult> ListTenantsAsync(IGrainFactory grains)
    {
        var snapshot = await Directory(grains).GetSnapshotAsync();
        return Results.Json(new AdminList<AdminTenant>(snapshot.Tenants.OrderBy(t => t.Id, StringComparer.Ordinal).Select(t => Describe(t, snapshot))));
    }

    private static async Task<IResult> GetTenantAsync(string id, IGrainFactory grains)
    {
        var snapshot = await Directory(grains).GetSnapshotAsync();
        var tenant = snapshot.Tenants.FirstOrDefault(t => t.Id == id) ?? throw TenantNotFound(id);
        return Results.Json(Describe(tenant, snapshot));
    }

    private static async Task<IResult> PutTenantAsync(string id, HttpContext context, IGrainFactory grains, ModelCatalogView catalog, AccessView access)
    {
        if (!Identifiers.IsTenantId(id))
        {
            throw GatewayException.BadRequest($"The tenant id '{Identifiers.Shown(id)}' is not allowed: {Identifiers.TenantRule}.", "id");
        }

        var options = await AdminBodies.ReadOrNullAsync<TenantOptions>(context, "tenant definition") ?? new TenantOptions();
        options.Id = id;
        await CheckModelsAsync(options.Models, catalog);
        foreach (var model in options.ModelLimits.Keys)
        {
            await CheckModelsAsync([model], catalog);
        }

        CheckLimits(options);
        var stored = await Directory(grains).UpsertTenantAsync(AccessOptions.ToDefinition(options, ModelSource.Admin));
        var snapshot = await Directory(grains).GetSnapshotAsync();
        await access.LoadAsync();
        return Results.Json(Describe(stored, snapshot));
    }

    private static async Task<IResult> DeleteTenantAsync(string id, IGrainFactory grains, AccessView access)
    {
        if (!await Directory(grains).DeleteTenantAsync(id))
        {
            throw TenantNotFound(id);
        }

        await access.LoadAsync();
        return Results.Json(new AdminDeletion(id, "tenant"));
    }

    private static async Task<IResult> PutModelsAsync(string id, HttpContext context, IGrainFactory grains, ModelCatalogView catalog, AccessView access)
    {
        var body = await AdminBodies.ReadOrNullAsync<ModelsBody>(context, "model list") ?? throw GatewayException.BadRequest("Send {\"models\": [...]}.", "models");
        await CheckModelsAsync(body.Models, catalog);
        var snapshot = await Directory(grains).GetSnapshotAsync();
        var tenant = snapshot.Tenants.FirstOrDefault(t => t.Id == id) ?? throw TenantNotFound(id);
        var stored = await Directory(grains).UpsertTenantAsync(tenant with { Models = body.Models.Count == 0 ? ["*"] : [.. body.Models] });
        await access.LoadAsync();
        return Results.Json(Describe(stored, await Directory(grains).GetSnapshotAsync()));
    }

    private static async Task<IResult> ListKeysAsync(string id, IGrainFactory grains)
    {
        var snapshot = await Directory(grains).GetSnapshotAsync();
        _ = snapshot.Tenants.FirstOrDefault(t => t.Id == id) ?? throw TenantNotFound(id);
        return Results.Json(new AdminList<AdminApiKey>(snapshot.Keys.Where(k => k.TenantId == id).OrderBy(k => k.Created).Select(DescribeKey)));
    }

    private static async Task<IResult> IssueKeyAsync(string id, HttpContext context, IGrainFactory grains, AccessView access)
    {
        var body = context.Request.ContentLength is > 0 ? await AdminBodies.ReadOrNullAsync<KeyBody>(context, "key request") : null;
        if (!Identifiers.IsKeyName(body?.Name))
        {
            throw GatewayException.BadRequest($"The key name is not allowed: {Identifiers.KeyNameRule}.", "name");
        }

        var limits = AccessOptions.ToLimits(body?.Limits);
        var issued = await Directory(grains).IssueKeyAsync(id, body?.Name, limits);
        await access.LoadAsync();
        return Results.Json(
            new AdminIssuedKey(Id: issued.Key.Id, Tenant: id, Name: issued.Key.Name, Key: issued.Secret, Prefix: issued.Key.Prefix, Created: issued.Key.Created),
            statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> RevokeKeyAsync(string id, string keyId, IGrainFactory grains, AccessView access)
    {
        if (!await Directory(grains).RevokeKeyAsync(id, keyId))
        {
            throw new GatewayException(GatewayErrorCode.NotFound, $"The tenant '{id}' has no key '{keyId}'.", "key");
        }

        await access.LoadAsync();
        return Results.Json(new AdminKeyRevocation(keyId));
    }

    private static async Task<IResult> GetLimiterAsync(string id, IGrainFactory grains, AccessView access)
    {
        return Results.Json(await LimitUse.DescribeAsync(grains, id, await access.GetAsync()));
    }

    private static async Task CheckModelsAsync(IEnumerable<string> models, ModelCatalogView catalog)
    {
        var snapshot = await catalog.LoadAsync();
        foreach (var model in models)
        {
            if (model != "*" && !snapshot.TryResolve(model, out _))
            {
                throw new GatewayException(GatewayErrorCode.ModelNotFound, $"The model '{model}' does not exist.", "models");
            }
        }
    }

    private static void CheckLimits(TenantOptions options)
    {
        var limits = options.Limits;
        var values = new (string Name, double? Value)[]
        {
            ("limits.rpm", limits?.Rpm), ("limits.tpm", limits?.Tpm), ("limits.max_concurrency", limits?.MaxConcurrency),
            ("limits.tokens_per_day", limits?.TokensPerDay), ("limits.tokens_per_month", limits?.TokensPerMonth),
            ("limits.budget_usd_per_month", (double?)limits?.BudgetUsdPerMonth),
            ("key_limits.rpm", options.KeyLimits?.Rpm), ("key_limits.tpm", options.KeyLimits?.Tpm), ("key_limits.max_concurrency", options.KeyLimits?.MaxConcurrency),
        };
        foreach (var (name, value) in values.Concat(options.ModelLimits.SelectMany(m => new (string, double?)[]
        {
            ($"model_limits.{m.Key}.rpm", m.Value.Rpm), ($"model_limits.{m.Key}.tpm", m.Value.Tpm), ($"model_limits.{m.Key}.max_concurrency", m.Value.MaxConcurrency),
        })))
        {
            if (value is <= 0)
            {
                throw GatewayException.BadRequest($"'{name}' must be greater than zero.", name);
            }
        }
    }

    private static AdminTenant Describe(TenantDefinition tenant, AccessSnapshot snapshot) => new(
        Id: tenant.Id,
        Models: tenant.Models,
        Limits: new AdminTenantLimits(
            tenant.Limits.Rpm,
            tenant.Limits.Tpm,
            tenant.Limits.MaxConcurrency,
            tenant.Quotas.TokensPerDay,
            tenant.Quotas.TokensPerMonth,
            tenant.Quotas.BudgetUsdPerMonth),
        ModelLimits: tenant.ModelLimits.ToDictionary(m => m.Key, m => Describe(m.Value)),
        Keys: snapshot.Keys.Count(k => k.TenantId == tenant.Id),
        Source: tenant.Source.ToString(),
        Created: tenant.Created);

    private static AdminApiKey DescribeKey(ApiKeyRecord key) => new(
        Id: key.Id,
        Name: key.Name,
        Prefix: key.Prefix,
        Created: key.Created,
        LastUsed: key.LastUsed,
        Source: key.Source.ToString(),
        Limits: Describe(key.Limits));

    private static AdminScopeLimits Describe(ScopeLimits limits) => new(limits.Rpm, limits.Tpm, limits.MaxConcurrency);

    private static GatewayException TenantNotFound(string id) => new(GatewayErrorCode.NotFound, $"The tenant '{Identifiers.Shown(id)}' does not exist.", "tenant");

    private sealed class ModelsBody
    {
        public List<string> Models { get; set; } = [];
    }

    private sealed class KeyBody
    {
        public string? Name { get; set; }

        public ScopeLimitOptions? Limits { get; set; }
    }
}
