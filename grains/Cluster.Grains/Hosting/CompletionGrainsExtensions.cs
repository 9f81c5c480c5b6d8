using Cluster.Grains.Models;
using Cluster.Grains.Providers;
using Cluster.Grains.Providers.Echo;
using Cluster.Grains.Providers.LocalEmbeddings;
using Cluster.Grains.Providers.OpenAI;
using Cluster.Grains.Routing;
using Cluster.Grains.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Cluster.Grains;

public static class CompletionGrainsExtensions
{
    /// <summary>Registers what the completion grains need in a silo: providers, routing, tokenizers, the catalogue view.</summary>
    public static ISiloBuilder AddCompletionGrains(this ISiloBuilder silo)
    {
        var services = silo.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ModelCatalogView>();
        services.TryAddSingleton<TokenCounter>();
        services.TryAddSingleton<UpstreamHttp>();
        services.TryAddSingleton<OpenAIProvider>();
        services.TryAddSingleton<EchoProvider>();
        services.TryAddSingleton<MiniLmEmbedder>();
        services.TryAddSingleton<LocalEmbeddingsProvider>();
        services.TryAddSingleton<ProviderSet>();
        services.TryAddSingleton<DeploymentBalancer>();
        services.TryAddSingleton<Relay.CompletionRelay>();
        services.TryAddSingleton<Relay.RelayServices>();
        services.TryAddSingleton<Access.AccessView>();
        services.TryAddSingleton<Usage.UsageRecorder>();
        services.TryAddSingleton<Limits.LeaseKeeper>();
        services.AddOptions<Usage.UsageOptions>().BindConfiguration(Usage.UsageOptions.SectionName);
        services.AddOptions<Limits.LimitOptions>().BindConfiguration(Limits.LimitOptions.SectionName);
        services.AddOptions<RoutingOptions>().BindConfiguration(RoutingOptions.SectionName);
        return silo;
    }
}
