using System.Text.Json.Nodes;

namespace Cluster.Tests.Support;

/// <summary>
/// One service on Azurite whose silos run as separate processes (so a test can SIGKILL one) and
/// whose front-ends are pure Orleans clients in the test process. Disposing stops every front-end
/// and kills every silo process it started, by its PID.
/// </summary>
public sealed class SiloProcessCluster(string configFile, string serviceId) : IAsyncDisposable
{
    private readonly List<SiloProcess> _started = [];
    private readonly List<GatewayHost> _apis = [];

    /// <summary>Every silo process started so far, in order (a restarted one is added again).</summary>
    public IReadOnlyList<SiloProcess> Started => _started;

    /// <summary>What the silos wrote last, for failure messages.</summary>
    public string Output => string.Join(Environment.NewLine, _started.Select(s => $"silo {s.Id}:{Environment.NewLine}{s.Output}"));

    /// <summary>Starts a silo of <paramref name="clusterId"/> (on new ports unless given) and waits until it has joined.</summary>
    public async Task<SiloProcess> StartSiloAsync(string clusterId, int? siloPort = null, int? gatewayPort = null)
    {
        var silo = await SiloProcess.StartAsync(configFile, siloPort ?? FreePorts.Next(), gatewayPort ?? FreePorts.Next(),
        [
            "--Clustering:Provider", "AzureTable",
            "--Storage:Provider", "AzureTable",
            "--Cluster:ServiceId", serviceId,
            "--Cluster:ClusterId", clusterId,
        ]);
        _started.Add(silo);
        return silo;
    }

    /// <summary>Starts a front-end (the api as a pure Orleans client) of <paramref name="clusterId"/>.</summary>
    public async Task<GatewayHost> StartApiAsync(string clusterId)
    {
        var api = await GatewayHost.StartAsync(JsonNode.Parse(await File.ReadAllTextAsync(configFile))!,
            "--Cluster:Mode", "Client",
            "--Clustering:Provider", "AzureTable",
            "--Storage:Provider", "AzureTable",
            "--Cluster:ServiceId", serviceId,
            "--Cluster:ClusterId", clusterId);
        _apis.Add(api);
        return api;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var api in _apis)
        {
            await api.DisposeAsync();
        }

        foreach (var silo in _started)
        {
            silo.Dispose();
        }
    }
}
