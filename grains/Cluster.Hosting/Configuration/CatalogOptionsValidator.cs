using Cluster.Grains.Models;
using Cluster.Relay.Providers;
using Microsoft.Extensions.Options;

namespace Cluster.Hosting.Configuration;

/// <summary>
/// Names every bad key of the <c>Models</c> array: names and aliases (unique, safe), the routing
/// strategy and provider (one of the registered names), URLs, secrets, limits and timeouts. Also
/// checks a model sent to the admin API, as a catalog of one.
/// </summary>
public sealed class CatalogOptionsValidator : IValidateOptions<CatalogOptions>
{
    public ValidateOptionsResult Validate(string? name, CatalogOptions options)
    {
        var errors = new List<string>();
        Validate(options, errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Adds every problem of <paramref name="options"/> to <paramref name="errors"/>, each naming its key.</summary>
    public static void Validate(CatalogOptions options, List<string> errors)
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
        var provider = deployment.Provider;
        if (provider is null)
        {
            errors.Add($"{key}:Provider: '' is not one of {SettingNames<DeploymentProvider>.Listed}.");
        }

        if (provider.CallsHttpBackend())
        {
            if (string.IsNullOrWhiteSpace(deployment.BaseUrl))
            {
                errors.Add($"{key}:BaseUrl: the {SettingNames<DeploymentProvider>.Name(provider!.Value)} provider needs a BaseUrl.");
            }
            else if (!Uri.TryCreate(deployment.BaseUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                errors.Add($"{key}:BaseUrl: '{deployment.BaseUrl}' is not an absolute http(s) URL.");
            }
        }

        if (deployment.Api is { } api && !string.IsNullOrWhiteSpace(api))
        {
            if (!DeploymentApis.All.Contains(api.ToLowerInvariant()))
            {
                errors.Add($"{key}:Api: '{api}' is not one of {string.Join(", ", DeploymentApis.All)}.");
            }
            else if (api.Equals(DeploymentApis.Responses, StringComparison.OrdinalIgnoreCase) && !DeploymentApis.Supports(provider))
            {
                errors.Add($"{key}:Api: '{DeploymentApis.Responses}' needs a provider that calls an HTTP backend (openai or azure-openai), not '{(provider is { } named ? SettingNames<DeploymentProvider>.Name(named) : "")}'.");
            }
        }

        if (provider == DeploymentProvider.AzureOpenAI)
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
