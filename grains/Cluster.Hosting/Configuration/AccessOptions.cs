using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cluster.Grains.Access;
using Cluster.Grains.Models;
using Cluster.Relay.Providers;

namespace Cluster.Hosting.Configuration;

/// <summary>The configured tenants: the root-level <c>Tenants</c> array.</summary>
public sealed class AccessOptions
{
    public List<TenantOptions> Tenants { get; set; } = [];

    public static ScopeLimits ToLimits(ScopeLimitOptions? options) =>
        options is null ? ScopeLimits.None : new ScopeLimits(options.Rpm, options.Tpm, options.MaxConcurrency);

    public static TenantDefinition ToDefinition(TenantOptions tenant, ModelSource source) => new(
        Id: tenant.Id!,
        Models: tenant.Models.Count == 0 ? ["*"] : [.. tenant.Models],
        Limits: tenant.Limits is { } limits ? new ScopeLimits(limits.Rpm, limits.Tpm, limits.MaxConcurrency) : ScopeLimits.None,
        Quotas: tenant.Limits is { } quotas ? new TenantQuotas(quotas.TokensPerDay, quotas.TokensPerMonth, quotas.BudgetUsdPerMonth) : TenantQuotas.None,
        ModelLimits: tenant.ModelLimits.ToDictionary(p => p.Key, p => ToLimits(p.Value), StringComparer.Ordinal),
        Source: source,
        Created: 0);

    /// <summary>The configured tenants and keys as the directory stores them, and a hash to apply them only when they changed.</summary>
    public (TenantDefinition[] Tenants, ApiKeyRecord[] Keys, string Hash) ToDefinitions()
    {
        var tenants = Tenants.Select(t => ToDefinition(t, ModelSource.Configuration)).ToArray();
        var keys = new List<ApiKeyRecord>();
        foreach (var tenant in Tenants)
        {
            foreach (var configured in tenant.Keys)
            {
                var secret = SecretReference.Resolve(configured);
                if (secret is null)
                {
                    continue;
                }

                var hash = KeyHash.Of(secret);
                keys.Add(new ApiKeyRecord(KeyHash.ConfiguredKeyId(hash), tenant.Id!, KeyHash.PrefixOf(secret), hash, 0, null, ToLimits(tenant.KeyLimits), ModelSource.Configuration, "configured"));
            }
        }

        var json = JsonSerializer.SerializeToUtf8Bytes(new { tenants, keys = keys.Select(k => new { k.Id, k.TenantId, k.Hash, k.Limits }) });
        return (tenants, [.. keys], Convert.ToHexString(SHA256.HashData(json)));
    }
}
