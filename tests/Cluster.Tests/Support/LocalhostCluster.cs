using System.Globalization;
using System.Text.Json;
using Cluster.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace Cluster.Tests.Support;

/// <summary>
/// Silos built in this process exactly as the silo program builds them, on <c>Localhost</c>
/// clustering (the first silo is the primary the others join) and memory storage, sharing one
/// configuration file; front-ends are <see cref="GatewayHost"/>s in client mode with every silo's
/// gateway. Needs nothing installed. Membership probes are quick, so a silo that dies is declared
/// dead in a few seconds rather than the default tens of seconds.
/// </summary>
public sealed class LocalhostCluster : IAsyncDisposable
{
    private readonly object _config;
    private readonly string _configFile;
    private readonly TimeProvider? _siloTime;
    private readonly IHost?[] _silos;
    private readonly (int Silo, int Gateway)[] _ports;
    private readonly List<GatewayHost> _frontEnds = [];

    private LocalhostCluster(object config, string configFile, int silos, TimeProvider? siloTime)
    {
        _config = config;
        _configFile = configFile;
        _siloTime = siloTime;
        _silos = new IHost?[silos];
        _ports = [.. Enumerable.Range(0, silos).Select(_ => (FreePorts.Next(), FreePorts.Next()))];
    }

    public string ServiceId { get; } = "test-" + Guid.NewGuid().ToString("N")[..12];

    public string ClusterId { get; } = "local-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The arguments that make a host a client of these silos.</summary>
    public string[] ClientArgs =>
    [
        "--Cluster:Mode", "Client",
        "--Cluster:ServiceId", ServiceId,
        "--Cluster:ClusterId", ClusterId,
        .. _ports.SelectMany((p, i) => new[] { $"--Cluster:Gateways:{i}", p.Gateway.ToString(CultureInfo.InvariantCulture) }),
    ];

    /// <summary>
    /// Starts <paramref name="silos"/> silos on <paramref name="config"/> (any object serialisable to
    /// the configuration JSON). With <paramref name="siloTime"/>, the silos' grains and services see
    /// that clock; Orleans' own background loops stay on real time.
    /// </summary>
    public static async Task<LocalhostCluster> StartAsync(object config, int silos = 2, TimeProvider? siloTime = null)
    {
        var file = Path.Combine(Path.GetTempPath(), $"cluster-test-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(config));
        var cluster = new LocalhostCluster(config, file, silos, siloTime);
        try
        {
            for (var i = 0; i < silos; i++)
            {
                await cluster.StartSiloAsync(i);
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts a front-end (the api as a pure client of these silos) on the same configuration.</summary>
    public async Task<GatewayHost> StartFrontEndAsync()
    {
        var frontEnd = await GatewayHost.StartAsync(_config, ClientArgs);
        _frontEnds.Add(frontEnd);
        return frontEnd;
    }

    /// <summary>A silo's services (its grain factory, its address), while it runs.</summary>
    public IServiceProvider SiloServices(int index) =>
        (_silos[index] ?? throw new InvalidOperationException($"Silo {index} is not running.")).Services;

    /// <summary>The address of a running silo, as the cluster knows it.</summary>
    public SiloAddress SiloAddress(int index) => SiloServices(index).GetRequiredService<ILocalSiloDetails>().SiloAddress;

    /// <summary>
    /// Stops a silo abruptly, as a killed process would: no grain deactivation, no goodbye to the
    /// membership; its connections close and the others find out by probing. Not the primary (0):
    /// with <c>Localhost</c> clustering the primary holds the membership table.
    /// </summary>
    public async Task KillSiloAsync(int index)
    {
        if (index == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(index), "The primary silo holds the membership; kill another.");
        }

        var silo = _silos[index] ?? throw new InvalidOperationException($"Silo {index} is not running.");
        _silos[index] = null;
        using var stop = new CancellationTokenSource();
        await stop.CancelAsync();
        try
        {
            // With the token already cancelled Orleans skips the graceful shutdown.
            await silo.StopAsync(stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            silo.Dispose();
        }
    }

    private async Task StartSiloAsync(int index)
    {
        var (siloPort, gatewayPort) = _ports[index];
        string[] args =
        [
            "--config", _configFile,
            "--Cluster:ServiceId", ServiceId,
            "--Cluster:ClusterId", ClusterId,
            "--Cluster:SiloPort", siloPort.ToString(CultureInfo.InvariantCulture),
            "--Cluster:GatewayPort", gatewayPort.ToString(CultureInfo.InvariantCulture),
            "--Cluster:PrimarySiloPort", _ports[0].Silo.ToString(CultureInfo.InvariantCulture),
            "--Logging:LogLevel:Default", "Warning",
            "--Logging:LogLevel:Orleans", "Critical",
            "--Logging:LogLevel:Polly", "Error",
        ];

        // As silo/Program.cs builds its host.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        if (_siloTime is { } time)
        {
            builder.Services.AddSingleton(time);
            builder.Services.UseTimeProviderForBackgroundAreas(TimeProvider.System);
        }

        builder.AddClusterConfiguration(args);
        builder.AddClusterMember(allowClient: false);
        builder.Services.Configure<ClusterMembershipOptions>(o =>
        {
            o.ProbeTimeout = TimeSpan.FromSeconds(1);
            o.NumMissedProbesLimit = 2;
        });
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

        _silos[index] = host;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var frontEnd in _frontEnds)
        {
            await frontEnd.DisposeAsync();
        }

        // The primary last: the others leave its membership table.
        for (var i = _silos.Length - 1; i >= 0; i--)
        {
            if (_silos[i] is { } silo)
            {
                _silos[i] = null;
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                    await silo.StopAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                }
                finally
                {
                    silo.Dispose();
                }
            }
        }

        File.Delete(_configFile);
    }
}
