using Cluster.Relay.Cluster;
using Cluster.Relay.Providers.Echo;
using Cluster.Relay.Providers.LocalEmbeddings;
using Cluster.Relay.Providers.OpenAI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Cluster.Relay.Hosting;

public static class RelayServiceCollectionExtensions
{
    /// <summary>
    /// Registers the request path a front-end runs: providers, routing, accounting (limits, the
    /// ledger and its spool), tokenizers and the local copies of the catalog and access directory.
    /// </summary>
    public static IServiceCollection AddRelay(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ModelCatalogView>();
        services.TryAddSingleton<AccessView>();
        services.TryAddSingleton<TokenCounter>();
        services.TryAddSingleton<UpstreamHttp>();
        services.TryAddSingleton<OpenAIProvider>();
        services.TryAddSingleton<EchoProvider>();
        services.TryAddSingleton<MiniLmEmbedder>();
        services.TryAddSingleton<LocalEmbeddingsProvider>();
        services.TryAddSingleton<ProviderSet>();
        services.TryAddSingleton<DeploymentBalancer>();
        services.TryAddSingleton<CompletionRelay>();
        services.TryAddSingleton<RelayServices>();
        services.TryAddSingleton<UsageRecorder>();
        services.TryAddSingleton<LedgerSpool>();
        services.TryAddSingleton<LeaseRenewer>();
        services.TryAddSingleton<SessionUsageTally>();
        services.TryAddSingleton<LimiterCalls>();
        services.AddHostedService<LedgerSpoolReplayer>();
        services.AddOptions<UsageOptions>().BindConfiguration(UsageOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<UsageOptions>, UsageOptionsValidator>());
        services.AddOptions<LimitOptions>().BindConfiguration(LimitOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LimitOptions>, LimitOptionsValidator>());
        services.AddOptions<RoutingOptions>().BindConfiguration(RoutingOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RoutingOptions>, RoutingOptionsValidator>());
        services.AddOptions<RelayClusterOptions>().BindConfiguration(RelayClusterOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RelayClusterOptions>, RelayClusterOptionsValidator>());
        return services;
    }
}
