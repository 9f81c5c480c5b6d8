using System.Net;
using Azure.Data.Tables;
using Cluster.Grains;
using Cluster.Grains.Models;
using Cluster.Hosting.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Storage;

namespace Cluster.Hosting;

/// <summary>
/// How a process joins the cluster: as a silo (the silo program, or the api co-hosting one) or as
/// a pure Orleans client (the api with <c>Cluster:Mode=Client</c>). Membership and storage follow
/// the <c>Clustering</c> and <c>Storage</c> sections.
/// </summary>
public static class ClusterHosting
{
    /// <summary>
    /// How long a grain call may go unanswered. Every grain call on the request path is short (the
    /// bytes of a completion never cross a grain call), so a call to a silo that died fails within
    /// this time and is resent rather than hanging.
    /// </summary>
    private static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How often a client re-reads the list of gateways (silos) it may send through.</summary>
    private static readonly TimeSpan GatewayRefresh = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Reads configuration (see <see cref="ClusterConfiguration"/>) and validates it, naming every
    /// bad key, together with the sections only this process reads (<paramref name="frontEndSections"/>).
    /// </summary>
    public static void AddClusterConfiguration(this IHostApplicationBuilder builder, string[] args, params IReadOnlyList<ISettingsSection> frontEndSections)
    {
        builder.Configuration.AddClusterSources(args, frontEndSections);
        var services = builder.Services;
        services.AddOptions<CatalogOptions>().Bind(builder.Configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CatalogOptions>, CatalogOptionsValidator>();
        services.AddOptions<AccessOptions>().Bind(builder.Configuration).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AccessOptions>>(sp => new AccessOptionsValidator(sp.GetRequiredService<IOptions<CatalogOptions>>().Value));
        services.AddOptions<ClusterHostOptions>().BindConfiguration(ClusterHostOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ClusterHostOptions>, ClusterHostOptionsValidator>();
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();
        services.AddOptions<MembershipOptions>().BindConfiguration(MembershipOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<MembershipOptions>, MembershipOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
    }

    /// <summary>Joins as a silo hosting the completion grains, or as a client when <c>Cluster:Mode=Client</c> and <paramref name="allowClient"/>.</summary>
    public static void AddClusterMember(this IHostApplicationBuilder builder, bool allowClient)
    {
        var configuration = builder.Configuration;
        var host = configuration.GetSection(ClusterHostOptions.SectionName).Get<ClusterHostOptions>() ?? new();
        var storage = configuration.GetSection(StorageOptions.SectionName).Get<StorageOptions>() ?? new();
        var membership = configuration.GetSection(MembershipOptions.SectionName).Get<MembershipOptions>() ?? new();
        var membershipConnection = membership.ConnectionString ?? storage.ConnectionString;

        if (allowClient && host.IsClient)
        {
            builder.UseOrleansClient(client =>
            {
                client.Configure<ClusterOptions>(o => (o.ServiceId, o.ClusterId) = (host.ServiceId, host.ClusterId));
                if (membership.IsAzureTable)
                {
                    client.UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(membershipConnection));
                }
                else
                {
                    var ports = host.Gateways.Count > 0 ? host.Gateways : [host.GatewayPort];
                    client.UseLocalhostClustering([.. ports], host.ServiceId, host.ClusterId);
                }

                client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = ResponseTimeout);

                // Learn of silos that joined (or came back) within seconds, not the default minute,
                // so their gateways take a share of this front-end's calls.
                client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = GatewayRefresh);
                client.AddOutgoingGrainCallFilter<GrainCallCounter>();
                client.UseConnectionRetryFilter(new StartupConnectionRetry(TimeSpan.FromSeconds(60)).ShouldRetryAsync);
            });
        }
        else
        {
            builder.UseOrleans(silo =>
            {
                silo.Configure<ClusterOptions>(o => (o.ServiceId, o.ClusterId) = (host.ServiceId, host.ClusterId));
                if (membership.IsAzureTable)
                {
                    silo.UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(membershipConnection));
                    silo.ConfigureEndpoints(IPAddress.Parse(host.AdvertisedAddress), host.SiloPort, host.GatewayPort, listenOnAnyHostAddress: false);
                }
                else
                {
                    silo.UseLocalhostClustering(host.SiloPort, host.GatewayPort, new IPEndPoint(IPAddress.Loopback, host.PrimarySiloPort), host.ServiceId, host.ClusterId);
                }

                if (storage.IsAzureTable)
                {
                    silo.AddAzureTableGrainStorage(GrainStorage.Name, o =>
                    {
                        o.TableServiceClient = new TableServiceClient(storage.ConnectionString);
                        o.TableName = "ClusterGrainState";

                        // Cleared state is deleted, not kept as an empty row: a deleted response, or a
                        // ledger chunk folded into its segment, leaves nothing behind.
                        o.DeleteStateOnClear = true;
                    });

                    // Store state with the Orleans serializer: types are identified by their [Alias],
                    // so renaming a C# type does not orphan what is stored.
                    silo.Services.AddOptions<AzureTableStorageOptions>(GrainStorage.Name)
                        .Configure<IServiceProvider>((o, sp) => o.GrainStorageSerializer = new OrleansGrainStorageSerializer(sp.GetRequiredService<Orleans.Serialization.Serializer>()));
                }
                else
                {
                    silo.AddMemoryGrainStorage(GrainStorage.Name);
                    silo.Services.AddOptions<MemoryGrainStorageOptions>(GrainStorage.Name)
                        .Configure<IServiceProvider>((o, sp) => o.GrainStorageSerializer = new OrleansGrainStorageSerializer(sp.GetRequiredService<Orleans.Serialization.Serializer>()));
                }

                silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = ResponseTimeout);
                silo.Configure<ClusterMembershipOptions>(o =>
                {
                    // A dead silo is declared dead after about ProbeTimeout × NumMissedProbesLimit
                    // (≈ 6 s instead of Orleans' default ≈ 15 s); request-path grain calls are resent
                    // for Cluster:RetryWindowSeconds (20), which covers it with room to spare.
                    o.ProbeTimeout = TimeSpan.FromSeconds(2);
                    o.NumMissedProbesLimit = 3;
                });
                silo.AddOutgoingGrainCallFilter<GrainCallCounter>();
                silo.AddIncomingGrainCallFilter<GrainCallCounter>();
                silo.AddCompletionGrains();
                silo.AddStartupTask<CatalogSeeder>();
                silo.AddStartupTask<AccessSeeder>();
            });
        }

        builder.Services.TryAddSingleton<Cluster.Relay.Views.ModelCatalogView>();
        builder.Services.TryAddSingleton<Cluster.Relay.Views.AccessView>();
        builder.Services.AddOptions<Cluster.Relay.Cluster.RelayClusterOptions>().BindConfiguration(Cluster.Relay.Cluster.RelayClusterOptions.SectionName);
    }
}
