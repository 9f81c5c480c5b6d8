using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Cluster.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.TestingHost;

namespace Cluster.Tests.Support;

/// <summary>
/// A cluster on Azure Table storage and clustering (Azurite): silo hosts built in this process
/// exactly as the silo program builds them, sharing one configuration file, plus front-ends
/// (<see cref="GatewayHost"/>s in client mode) that join them as pure Orleans clients. Every cluster
/// gets its own <c>ClusterId</c> (membership) and its <c>ServiceId</c> (grain state), so clusters
/// of different test classes or runs never see each other's silos or state. Started through
/// <see cref="Configure"/>; disposing stops its front-ends, then its silos.
/// </summary>
public sealed class AzuriteCluster : IAsyncDisposable
{
    public const string AzuriteHost = "127.0.0.1";
    public const int AzuriteTablePort = 10002;

    private static readonly string RunId = Guid.NewGuid().ToString("N")[..12];
    private static int _clusters;

    private readonly object _config;
    private readonly string _configFile;
    private readonly TimeProvider? _siloTime;
    private readonly SiloHost?[] _silos;
    private readonly List<GatewayHost> _frontEnds = [];

    private AzuriteCluster(object config, string configFile, string serviceId, int count, TimeProvider? siloTime)
    {
        _config = config;
        _configFile = configFile;
        ServiceId = serviceId;
        ClusterId = $"run-{RunId}-{Interlocked.Increment(ref _clusters)}";
        _siloTime = siloTime;
        _silos = new SiloHost?[count];
    }

    public string ServiceId { get; }

    public string ClusterId { get; }

    /// <summary>The silos, by index; a stopped silo's slot is null until it is started again.</summary>
    public IReadOnlyList<SiloHost?> Silos => _silos;

    /// <summary>The arguments that make the api (or any other host) join this cluster as a pure client.</summary>
    public string[] ClientArgs =>
    [
        "--Cluster:Mode", "Client",
        "--Cluster:ClusterId", ClusterId,
        "--Cluster:ServiceId", ServiceId,
        "--Clustering:Provider", "AzureTable",
        "--Storage:Provider", "AzureTable",
    ];

    /// <summary>The one way to start a cluster of this kind: on <paramref name="config"/> (any object serialisable to the configuration JSON).</summary>
    public static AzuriteClusterBuilder Configure(object config) => new(config);

    /// <summary>
    /// Fails (never skips) when Azurite does not answer: a silently skipped cluster test would hide
    /// missing coverage.
    /// </summary>
    public static async Task RequireAzuriteAsync()
    {
        using var socket = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            await socket.ConnectAsync(AzuriteHost, AzuriteTablePort, timeout.Token);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            throw new InvalidOperationException(
                $"Azurite is not running (nothing answers on {AzuriteHost}:{AzuriteTablePort}, the table service of UseDevelopmentStorage=true): "
                + "start it with deploy/local/azurite.sh start DIR or run the tests through .ci/test.",
                ex);
        }
    }

    internal static async Task<AzuriteCluster> StartAsync(object config, int silos, string serviceId, TimeProvider? siloTime)
    {
        await RequireAzuriteAsync();
        var file = Path.Combine(Path.GetTempPath(), $"cluster-test-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(config));
        var cluster = new AzuriteCluster(config, file, serviceId, silos, siloTime);
        try
        {
            // One after the other: the first creates the membership table, and a silo that joins a
            // cluster still forming has to wait for the others' probes.
            for (var i = 0; i < silos; i++)
            {
                await cluster.StartSiloAsync(i, FreePorts.Next(), FreePorts.Next());
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts a front-end (the api as a pure client of these silos) on the same configuration; disposed with the cluster.</summary>
    public async Task<GatewayHost> StartFrontEndAsync()
    {
        var frontEnd = await GatewayHost.StartAsync(_config, ClientArgs);
        _frontEnds.Add(frontEnd);
        return frontEnd;
    }

    /// <summary>Starts the silo of slot <paramref name="index"/> again, on the ports it had.</summary>
    public Task<SiloHost> RestartSiloAsync(int index, SiloHost previous) =>
        StartSiloAsync(index, previous.SiloPort, previous.GatewayPort);

    /// <summary>
    /// Stops a silo. Gracefully: it deactivates its grains and leaves the membership table as dead.
    /// Abruptly: its sockets close and nothing else happens, as when the process is killed; the
    /// others learn of it from failed probes or from a successor on the same endpoint.
    /// </summary>
    public async Task<SiloHost> StopSiloAsync(int index, bool graceful)
    {
        var silo = _silos[index] ?? throw new InvalidOperationException($"Silo {index} is not running.");
        _silos[index] = null;
        await silo.StopAsync(graceful);
        return silo;
    }

    private async Task<SiloHost> StartSiloAsync(int index, int siloPort, int gatewayPort)
    {
        if (_silos[index] is not null)
        {
            throw new InvalidOperationException($"Silo {index} is already running.");
        }

        string[] args =
        [
            "--config", _configFile,
            "--Cluster:ClusterId", ClusterId,
            "--Cluster:ServiceId", ServiceId,
            "--Cluster:SiloPort", siloPort.ToString(CultureInfo.InvariantCulture),
            "--Cluster:GatewayPort", gatewayPort.ToString(CultureInfo.InvariantCulture),
            "--Clustering:Provider", "AzureTable",
            "--Storage:Provider", "AzureTable",
            "--Logging:LogLevel:Default", "Warning",
            "--Logging:LogLevel:Orleans", "Error",
            "--Logging:LogLevel:Polly", "Error",
        ];

        // As silo/Program.cs builds its host.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (_siloTime is { } time)
        {
            // The silos' grains and services see that clock; Orleans' own background loops stay on real time.
            builder.Services.AddSingleton(time);
            builder.Services.UseTimeProviderForBackgroundAreas(TimeProvider.System);
        }

        builder.AddClusterConfiguration(args);
        builder.AddClusterMember(allowClient: false);
        var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch
        {
            host.Dispose();
            throw;
        }

        var silo = new SiloHost(host, siloPort, gatewayPort);
        _silos[index] = silo;
        return silo;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var frontEnd in _frontEnds)
        {
            await frontEnd.DisposeAsync();
        }

        // Gracefully, so no silo is left in the membership table as alive.
        for (var i = _silos.Length - 1; i >= 0; i--)
        {
            if (_silos[i] is { } silo)
            {
                _silos[i] = null;
                await silo.StopAsync(graceful: true);
            }
        }

        File.Delete(_configFile);
    }
}
