using Cluster.Relay.Providers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Cluster.Hosting.Configuration;

/// <summary>
/// Checks the whole configuration at once and names every bad key, so a broken file is fixed in
/// one go. Runs before the host is built (hosting decisions depend on it) and again through
/// <c>ValidateOnStart</c>.
/// </summary>
public sealed class ClusterConfigurationValidator : IValidateOptions<CatalogOptions>
{
    public static readonly string[] Providers = ["openai", "azure-openai", "echo", "local-embeddings"];

    private static readonly string[] Routings = Cluster.Relay.Routing.Strategies.RoutingStrategies.Names;

    public ValidateOptionsResult Validate(string? name, CatalogOptions options)
    {
        var errors = new List<string>();
        ValidateCatalog(options, errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Every problem in <paramref name="configuration"/>, each naming its key.</summary>
    public static List<string> ValidateAll(IConfiguration configuration)
    {
        var errors = new List<string>();
        CatalogOptions catalog;
        try
        {
            catalog = configuration.Get<CatalogOptions>() ?? new CatalogOptions();
        }
        catch (InvalidOperationException ex)
        {
            errors.Add($"Models: {ex.Message}");
            return errors;
        }

        ValidateCatalog(catalog, errors);
        ValidateHost(configuration, errors);
        ValidateRequestPath(configuration, errors);
        ValidateTenants(configuration, catalog, errors);
        return errors;
    }

    /// <summary>The Usage, Routing and Limits sections the relay reads: whole numbers within their ranges.</summary>
    private static void ValidateRequestPath(IConfiguration configuration, List<string> errors)
    {
        (string Key, int Min, int Max)[] ranges =
        [
            ("Usage:LedgerShards", 1, 256),
            ("Usage:DurableWaitSeconds", 0, 600),
            ("Routing:MaxAttempts", 1, 100),
            ("Routing:RetryBackoffMs", 0, 60_000),
            ("Routing:FailureThreshold", 1, 1_000_000_000),
            ("Routing:FailureWindowSeconds", 1, 86_400),
            ("Routing:CooldownSeconds", 1, 86_400),
            ("Routing:HealthCheckIntervalSeconds", 1, 86_400),
            ("Routing:SessionTtlMinutes", 1, 525_600),
            ("Routing:SessionLookupTimeoutMs", 1, 60_000),
            ("Routing:StatusSyncMilliseconds", 50, 60_000),
            ("Routing:PrefixSpillPercent", 100, 100_000),
            ("Routing:PrefixMinInFlight", 1, 1_000_000),
            ("Limits:DefaultCompletionTokens", 1, 10_000_000),
        ];
        foreach (var (key, min, max) in ranges)
        {
            if (configuration[key] is { } value && (!int.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var number) || number < min || number > max))
            {
                errors.Add($"{key}: '{value}' must be a whole number from {min} to {max}.");
            }
        }

        if (configuration["Usage:Enabled"] is { } enabled && !bool.TryParse(enabled, out _))
        {
            errors.Add($"Usage:Enabled: '{enabled}' is not true or false.");
        }
    }

    private static void ValidateTenants(IConfiguration configuration, CatalogOptions catalog, List<string> errors)
    {
        AccessOptions access;
        try
        {
            access = configuration.Get<AccessOptions>() ?? new AccessOptions();
        }
        catch (InvalidOperationException ex)
        {
            errors.Add($"Tenants: {ex.InnerException?.Message ?? ex.Message}");
            return;
        }

        var mode = configuration["Auth:Mode"];
        if (mode is not null && !string.Equals(mode, "Open", StringComparison.OrdinalIgnoreCase) && !string.Equals(mode, "Keys", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"Auth:Mode: '{mode}' is not one of Open, Keys.");
        }

        if (SecretReference.IsEnvironmentReference(configuration["Auth:AdminKey"], out var adminVariable) && SecretReference.Resolve(configuration["Auth:AdminKey"]) is null)
        {
            errors.Add($"Auth:AdminKey: the environment variable '{adminVariable}' is not set.");
        }

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

    private static void ValidateHost(IConfiguration configuration, List<string> errors)
    {
        var host = Bind<ClusterHostOptions>(configuration, ClusterHostOptions.SectionName, errors);
        if (host is not null)
        {
            if (!string.Equals(host.Mode, "CoHosted", StringComparison.OrdinalIgnoreCase) && !host.IsClient)
            {
                errors.Add($"Cluster:Mode: '{host.Mode}' is not one of CoHosted, Client.");
            }

            CheckPort(host.SiloPort, "Cluster:SiloPort", errors);
            CheckPort(host.GatewayPort, "Cluster:GatewayPort", errors);
            CheckPort(host.PrimarySiloPort, "Cluster:PrimarySiloPort", errors);
            for (var i = 0; i < host.Gateways.Count; i++)
            {
                CheckPort(host.Gateways[i], $"Cluster:Gateways:{i}", errors);
            }

            if (configuration["Cluster:RetryWindowSeconds"] is { } window && (!int.TryParse(window, out var seconds) || seconds is < 1 or > 600))
            {
                errors.Add($"Cluster:RetryWindowSeconds: '{window}' must be a whole number of seconds between 1 and 600.");
            }

            if (host.DrainTimeoutSeconds is < 1 or > 3600)
            {
                errors.Add($"Cluster:DrainTimeoutSeconds: {host.DrainTimeoutSeconds} is not between 1 and 3600.");
            }

            if (!System.Net.IPAddress.TryParse(host.AdvertisedAddress, out _))
            {
                errors.Add($"Cluster:AdvertisedAddress: '{host.AdvertisedAddress}' is not an IP address.");
            }
        }

        var storage = Bind<StorageOptions>(configuration, StorageOptions.SectionName, errors);
        if (storage is not null && !storage.IsAzureTable && !string.Equals(storage.Provider, "Memory", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"Storage:Provider: '{storage.Provider}' is not one of Memory, AzureTable.");
        }

        var membership = Bind<MembershipOptions>(configuration, MembershipOptions.SectionName, errors);
        if (membership is not null && !membership.IsAzureTable && !string.Equals(membership.Provider, "Localhost", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"Clustering:Provider: '{membership.Provider}' is not one of Localhost, AzureTable.");
        }
    }

    private static T? Bind<T>(IConfiguration configuration, string section, List<string> errors)
        where T : class, new()
    {
        try
        {
            return configuration.GetSection(section).Get<T>() ?? new T();
        }
        catch (InvalidOperationException ex)
        {
            errors.Add($"{section}: {ex.InnerException?.Message ?? ex.Message}");
            return null;
        }
    }

    private static void CheckPort(int port, string key, List<string> errors)
    {
        if (port is < 1 or > 65535)
        {
            errors.Add($"{key}: {port} is not a port number.");
        }
    }

    private static void ValidateCatalog(CatalogOptions options, List<string> errors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Models.Count; i++)
        {
            var model = options.Models[i];
            var key = $"Models:{i}";
            if (string.IsNullOrWhiteSpace(model.Name))
            {
                errors.Add($"{key}:Name: a model needs a name.");
            }
            else if (!Identifiers.IsModelName(model.Name))
            {
                errors.Add($"{key}:Name: '{Identifiers.Shown(model.Name)}' is not allowed: {Identifiers.ModelRule}.");
            }
            else if (!names.Add(model.Name))
            {
                errors.Add($"{key}:Name: '{model.Name}' is used twice.");
            }

            for (var a = 0; a < model.Aliases.Count; a++)
            {
                if (string.IsNullOrWhiteSpace(model.Aliases[a]))
                {
                    errors.Add($"{key}:Aliases:{a}: an alias cannot be empty.");
                }
                else if (!Identifiers.IsModelName(model.Aliases[a]))
                {
                    errors.Add($"{key}:Aliases:{a}: '{Identifiers.Shown(model.Aliases[a])}' is not allowed: {Identifiers.ModelRule}.");
                }
                else if (!names.Add(model.Aliases[a]))
                {
                    errors.Add($"{key}:Aliases:{a}: '{model.Aliases[a]}' is already a model name or alias.");
                }
            }

            if (model.Routing is { } routing && !Routings.Contains(routing, StringComparer.OrdinalIgnoreCase))
            {
                errors.Add($"{key}:Routing: '{routing}' is not one of {string.Join(", ", Routings)}.");
            }

            if (model.Price is { } price && (price.InputPerMTok < 0 || price.OutputPerMTok < 0 || price.CachedInputPerMTok < 0))
            {
                errors.Add($"{key}:Price: prices cannot be negative.");
            }

            if (model.Deployments.Count == 0)
            {
                errors.Add($"{key}:Deployments: a model needs at least one deployment.");
            }

            for (var d = 0; d < model.Deployments.Count; d++)
            {
                ValidateDeployment(model.Deployments[d], $"{key}:Deployments:{d}", errors);
            }
        }

        var allNames = options.Models.Where(m => m.Name is not null).SelectMany(m => m.Aliases.Append(m.Name!)).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < options.Models.Count; i++)
        {
            for (var f = 0; f < options.Models[i].Fallbacks.Count; f++)
            {
                var fallback = options.Models[i].Fallbacks[f];
                if (!allNames.Contains(fallback))
                {
                    errors.Add($"Models:{i}:Fallbacks:{f}: '{fallback}' is not a configured model.");
                }
            }
        }
    }

    private static void ValidateDeployment(DeploymentOptions deployment, string key, List<string> errors)
    {
        var provider = deployment.Provider?.ToLowerInvariant();
        if (provider is null || !Providers.Contains(provider))
        {
            errors.Add($"{key}:Provider: '{deployment.Provider}' is not one of {string.Join(", ", Providers)}.");
        }

        if (provider is "openai" or "azure-openai")
        {
            if (string.IsNullOrWhiteSpace(deployment.BaseUrl))
            {
                errors.Add($"{key}:BaseUrl: the {provider} provider needs a BaseUrl.");
            }
            else if (!Uri.TryCreate(deployment.BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                errors.Add($"{key}:BaseUrl: '{deployment.BaseUrl}' is not an absolute http(s) URL.");
            }
        }

        if (provider == "azure-openai")
        {
            if (string.IsNullOrWhiteSpace(deployment.UpstreamModel))
            {
                errors.Add($"{key}:UpstreamModel: azure-openai needs the deployment name here.");
            }

            if (string.IsNullOrWhiteSpace(deployment.ApiVersion))
            {
                errors.Add($"{key}:ApiVersion: azure-openai needs an api-version.");
            }
        }

        if (SecretReference.IsEnvironmentReference(deployment.ApiKey, out var variable) && SecretReference.Resolve(deployment.ApiKey) is null)
        {
            errors.Add($"{key}:ApiKey: the environment variable '{variable}' is not set.");
        }

        if (deployment.Weight < 0)
        {
            errors.Add($"{key}:Weight: cannot be negative.");
        }

        CheckPositive(deployment.Rpm, $"{key}:Rpm", errors);
        CheckPositive(deployment.Tpm, $"{key}:Tpm", errors);
        CheckPositive(deployment.MaxConcurrency, $"{key}:MaxConcurrency", errors);
        CheckPositive(deployment.CacheTokens, $"{key}:CacheTokens", errors);
        CheckPositive(deployment.ConnectTimeoutSeconds, $"{key}:ConnectTimeoutSeconds", errors);
        CheckPositive(deployment.FirstTokenTimeoutSeconds, $"{key}:FirstTokenTimeoutSeconds", errors);
        CheckPositive(deployment.IdleTimeoutSeconds, $"{key}:IdleTimeoutSeconds", errors);
        CheckPositive(deployment.TotalTimeoutSeconds, $"{key}:TotalTimeoutSeconds", errors);
    }

    private static void CheckPositive(double? value, string key, List<string> errors)
    {
        if (value is <= 0)
        {
            errors.Add($"{key}: must be greater than zero.");
        }
    }
}
