using Cluster.Relay.Providers;
using Microsoft.Extensions.Options;

namespace Cluster.Hosting.Configuration;

/// <summary>
/// Names every bad key of the <c>Tenants</c> array: ids (unique, safe), keys (set, not shared),
/// the models a tenant may use (configured in <paramref name="catalog"/>) and its limits.
/// </summary>
public sealed class AccessOptionsValidator(CatalogOptions catalog) : IValidateOptions<AccessOptions>
{
    public ValidateOptionsResult Validate(string? name, AccessOptions access)
    {
        var errors = new List<string>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var secrets = new HashSet<string>(StringComparer.Ordinal);
        var models = catalog.Models.Where(m => m.Name is not null).SelectMany(m => m.Aliases.Append(m.Name!)).ToHashSet(StringComparer.Ordinal);
        var names = catalog.Models.Where(m => m.Name is not null).Select(m => m.Name!).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < access.Tenants.Count; i++)
        {
            var tenant = access.Tenants[i];
            var key = $"Tenants:{i}";
            if (string.IsNullOrWhiteSpace(tenant.Id))
            {
                errors.Add($"{key}:Id: a tenant needs an id.");
            }
            else if (!ids.Add(tenant.Id))
            {
                errors.Add($"{key}:Id: '{tenant.Id}' is used twice.");
            }
            else if (!Identifiers.IsTenantId(tenant.Id))
            {
                errors.Add($"{key}:Id: '{Identifiers.Shown(tenant.Id)}' is not allowed: {Identifiers.TenantRule}.");
            }

            for (var k = 0; k < tenant.Keys.Count; k++)
            {
                var secret = SecretReference.Resolve(tenant.Keys[k]);
                if (SecretReference.IsEnvironmentReference(tenant.Keys[k], out var variable) && secret is null)
                {
                    errors.Add($"{key}:Keys:{k}: the environment variable '{variable}' is not set.");
                }
                else if (secret is null)
                {
                    errors.Add($"{key}:Keys:{k}: a key cannot be empty.");
                }
                else if (!secrets.Add(secret))
                {
                    errors.Add($"{key}:Keys:{k}: this key is given to more than one tenant or twice.");
                }
            }

            foreach (var model in tenant.Models)
            {
                if (model != "*" && !models.Contains(model))
                {
                    errors.Add($"{key}:Models: '{model}' is not a configured model.");
                }
            }

            if (tenant.Limits is { } limits)
            {
                CheckPositive(limits.Rpm, $"{key}:Limits:Rpm", errors);
                CheckPositive(limits.Tpm, $"{key}:Limits:Tpm", errors);
                CheckPositive(limits.MaxConcurrency, $"{key}:Limits:MaxConcurrency", errors);
                CheckPositive(limits.TokensPerDay, $"{key}:Limits:TokensPerDay", errors);
                CheckPositive(limits.TokensPerMonth, $"{key}:Limits:TokensPerMonth", errors);
                CheckPositive((double?)limits.BudgetUsdPerMonth, $"{key}:Limits:BudgetUsdPerMonth", errors);
            }

            CheckScope(tenant.KeyLimits, $"{key}:KeyLimits", errors);
            foreach (var (model, limit) in tenant.ModelLimits)
            {
                if (!names.Contains(model))
                {
                    errors.Add($"{key}:ModelLimits:{model}: '{model}' is not a configured model name (aliases are not accepted here).");
                }

                CheckScope(limit, $"{key}:ModelLimits:{model}", errors);
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckScope(ScopeLimitOptions? limits, string key, List<string> errors)
    {
        if (limits is not null)
        {
            CheckPositive(limits.Rpm, $"{key}:Rpm", errors);
            CheckPositive(limits.Tpm, $"{key}:Tpm", errors);
            CheckPositive(limits.MaxConcurrency, $"{key}:MaxConcurrency", errors);
        }
    }
    private static void CheckPositive(double? value, string key, List<string> errors)
    {
        if (value is <= 0)
        {
            errors.Add($"{key}: must be greater than zero.");
        }
    }
}
