using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cluster.Grains.Models;
using Cluster.Relay.Routing.Strategies;

namespace Cluster.Hosting.Configuration;

/// <summary>The configured model catalog: the root-level <c>Models</c> array.</summary>
public sealed class CatalogOptions
{
    public List<ModelOptions> Models { get; set; } = [];

    /// <summary>The configured models as the records the registry grain stores.</summary>
    public ModelDefinition[] ToDefinitions()
    {
        var result = new ModelDefinition[Models.Count];
        for (var i = 0; i < Models.Count; i++)
        {
            var model = Models[i];
            var name = model.Name!;
            var deployments = new DeploymentDefinition[model.Deployments.Count];
            for (var d = 0; d < deployments.Length; d++)
            {
                var deployment = model.Deployments[d];
                var defaults = DeploymentTimeouts.Default;
                deployments[d] = new DeploymentDefinition(
                    Id: string.IsNullOrWhiteSpace(deployment.Id) ? $"{name}-{d}" : deployment.Id,
                    Provider: SettingNames<DeploymentProvider>.Name(deployment.Provider!.Value),
                    BaseUrl: deployment.BaseUrl,
                    ApiKey: deployment.ApiKey,
                    UpstreamModel: deployment.UpstreamModel,
                    Weight: deployment.Weight,
                    Rpm: deployment.Rpm,
                    Tpm: deployment.Tpm,
                    MaxConcurrency: deployment.MaxConcurrency,
                    ApiVersion: deployment.ApiVersion,
                    CacheTokens: deployment.CacheTokens,
                    Api: string.IsNullOrWhiteSpace(deployment.Api) || deployment.Api.Equals(Cluster.Relay.Providers.DeploymentApis.Chat, StringComparison.OrdinalIgnoreCase) ? null : deployment.Api.ToLowerInvariant(),
                    Timeouts: new DeploymentTimeouts(
                        Seconds(deployment.ConnectTimeoutSeconds, defaults.Connect),
                        Seconds(deployment.FirstTokenTimeoutSeconds, defaults.FirstToken),
                        Seconds(deployment.IdleTimeoutSeconds, defaults.Idle),
                        Seconds(deployment.TotalTimeoutSeconds, defaults.Total)));
            }

            result[i] = new ModelDefinition(
                Name: name,
                Aliases: [.. model.Aliases],
                OwnedBy: string.IsNullOrWhiteSpace(model.OwnedBy) ? "completion-cluster" : model.OwnedBy,
                Created: 0,
                Price: model.Price is { } price ? new ModelPrice(price.InputPerMTok, price.OutputPerMTok, price.CachedInputPerMTok) : ModelPrice.Free,
                Routing: SettingNames<ModelRouting>.Name(model.Routing ?? RoutingStrategies.Default),
                Fallbacks: [.. model.Fallbacks],
                Deployments: deployments,
                Source: ModelSource.Configuration);
        }

        return result;
    }

    /// <summary>A hash of the configured catalog, so the registry re-applies it only when it changed.</summary>
    public static string HashOf(ModelDefinition[] models)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(models.Select(m => new
        {
            m.Name, m.Aliases, m.OwnedBy, m.Price.InputPerMTok, m.Price.OutputPerMTok, m.Price.CachedInputPerMTok, m.Routing, m.Fallbacks,
            Deployments = m.Deployments.Select(d => new
            {
                d.Id, d.Provider, d.BaseUrl, d.ApiKey, d.UpstreamModel, d.Weight, d.Rpm, d.Tpm, d.MaxConcurrency, d.ApiVersion, d.CacheTokens, d.Api,
                Timeouts = new[] { d.Timeouts.Connect, d.Timeouts.FirstToken, d.Timeouts.Idle, d.Timeouts.Total },
            }),
        }));
        return Convert.ToHexString(SHA256.HashData(json));
    }

    private static TimeSpan Seconds(double? value, TimeSpan fallback) =>
        value is { } seconds ? TimeSpan.FromSeconds(seconds) : fallback;
}
