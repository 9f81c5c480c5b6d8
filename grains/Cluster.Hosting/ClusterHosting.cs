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
    /// How long a grain call may go unanswered. Short on purpose: long completions are delivered as
    /// streams whose pulls long-poll with heartbeats inside it, so a request on a silo that died is
    /// answered (503) within this time rather than hanging.
    /// </summary>
    private static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Reads configuration (see <see cref="ClusterConfiguration"/>) and validates it, naming every bad key.</summary>
    public static void AddClusterConfiguration(this IHostApplicationBuilder builder, string[] args)
    {
        builder.Configuration.AddClusterSources(args);
        var services = builder.Services;
        services.AddOptions<CatalogOptions>().Bind(builder.Configuration).ValidateOnStart();
        services.AddOptions<AccessOptions>().Bind(builder.Configuration);
        services.AddSingleton<IValidateOptions<CatalogOptions>, ClusterConfigurationValidator>();
        services.AddOptions<ClusterHostOptions>().BindConfiguration(ClusterHostOptions.SectionName);
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.SectionName);
        services.AddOptions<MembershipOptions>().BindConfiguration(MembershipOptions.SectionName);
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
                silo.AddOutgoingGrainCallFilter<GrainCallCounter>();
                silo.AddCompletionGrains();
                silo.AddStartupTask<CatalogSeeder>();
                silo.AddStartupTask<AccessSeeder>();
            });
        }

        builder.Services.TryAddSingleton<ModelCatalogView>();
        builder.Services.TryAddSingleton<Cluster.Grains.Access.AccessView>();
    }
}
