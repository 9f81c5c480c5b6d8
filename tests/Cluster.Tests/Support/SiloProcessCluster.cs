using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Azure.Data.Tables;

namespace Cluster.Tests.Support;

/// <summary>
/// A service on Azurite whose silos run as separate processes, as an orchestrator runs them (so a
/// test can SIGKILL or SIGTERM one), all on one configuration file and one <c>ServiceId</c>. Its
/// front-ends are either api programs as processes too (<see cref="StartApiProcessAsync"/>) or the
/// api as a pure Orleans client in the test process (<see cref="StartApiAsync(string)"/>). Started
/// through <see cref="Create"/>; disposing stops every front-end and kills every process it started,
/// by its PID.
/// </summary>
public sealed class SiloProcessCluster : IAsyncDisposable
{
    private const string MembershipTable = "OrleansSiloInstances";
    private readonly string _configFile;
    private readonly bool _ownsConfigFile;
    private readonly List<SiloProcess> _started = [];
    private readonly List<ProgramProcess> _apiProcesses = [];
    private readonly List<GatewayHost> _apis = [];

    internal SiloProcessCluster(string configFile, bool ownsConfigFile, string serviceId, string clusterId)
    {
        _configFile = configFile;
        _ownsConfigFile = ownsConfigFile;
        ServiceId = serviceId;
        ClusterId = clusterId;
    }

    public string ServiceId { get; }

    /// <summary>The cluster a silo or front-end joins unless told another (a test may run several clusters of the one service).</summary>
    public string ClusterId { get; }

    /// <summary>Raw HTTP to the processes: probes, requests, the admin API.</summary>
    public GatewayClient Client { get; } = new();

    /// <summary>Every silo process started so far, in order (a restarted one is added again).</summary>
    public IReadOnlyList<SiloProcess> Started => _started;

    /// <summary>What the processes wrote last, for failure messages.</summary>
    public string Output =>
        string.Join(Environment.NewLine, _started.Select(s => $"--- silo {s.Id}:{Environment.NewLine}{s.Output}")
            .Concat(_apiProcesses.Select(a => $"--- api {a.Id}:{Environment.NewLine}{a.Output}")));

    /// <summary>The one way to set up a cluster of this kind.</summary>
    public static SiloProcessClusterBuilder Create() => new();

    /// <summary>Starts a silo of <see cref="ClusterId"/> (on new ports unless given) and waits until it has joined.</summary>
    public Task<SiloProcess> StartSiloAsync(int? siloPort = null, int? gatewayPort = null) => StartSiloAsync(ClusterId, siloPort, gatewayPort);

    /// <summary>Starts a silo of <paramref name="clusterId"/> (on new ports unless given) and waits until it has joined.</summary>
    public async Task<SiloProcess> StartSiloAsync(string clusterId, int? siloPort = null, int? gatewayPort = null)
    {
        var silo = await SiloProcess.StartAsync(_configFile, siloPort ?? FreePorts.Next(), gatewayPort ?? FreePorts.Next(), MemberArgs(clusterId));
        _started.Add(silo);
        return silo;
    }

    /// <summary>Starts a front-end (the api as a pure Orleans client, in the test process) of <paramref name="clusterId"/>.</summary>
    public async Task<GatewayHost> StartApiAsync(string clusterId)
    {
        var api = await GatewayHost.StartAsync(JsonNode.Parse(await File.ReadAllTextAsync(_configFile))!, ["--Cluster:Mode", "Client", .. MemberArgs(clusterId)]);
        _apis.Add(api);
        return api;
    }

    /// <summary>Starts the api program as a process, a pure client of <see cref="ClusterId"/>; returns it and its base URL once it serves.</summary>
    public async Task<(ProgramProcess Process, string BaseUrl)> StartApiProcessAsync()
    {
        var baseUrl = $"http://127.0.0.1:{FreePorts.Next()}";
        var api = await ProgramProcess.StartAsync("Cluster.Api.dll",
        [
            "--config", _configFile,
            "--urls", baseUrl,
            "--Cluster:Mode", "Client",
            "--Logging:LogLevel:Default", "Warning",
            "--Logging:LogLevel:Microsoft.Hosting.Lifetime", "Information",
            .. MemberArgs(ClusterId),
        ]);
        _apiProcesses.Add(api);
        return (api, baseUrl);
    }

    /// <summary>The status of the silo's row in the membership table (<c>Active</c>, <c>ShuttingDown</c>, <c>Dead</c>, …), or null when it has none.</summary>
    public async Task<string?> MembershipStatusAsync(int siloPort)
    {
        var table = new TableServiceClient("UseDevelopmentStorage=true").GetTableClient(MembershipTable);
        string? status = null;
        var port = siloPort.ToString(CultureInfo.InvariantCulture);
        await foreach (var row in table.QueryAsync<TableEntity>(e => e.PartitionKey == ClusterId))
        {
            if (row.GetString("Port") == port)
            {
                // The latest generation of that endpoint.
                status = row.GetString("Status");
            }
        }

        return status;
    }

    /// <summary>GET <paramref name="url"/>: its status, or null when nothing accepts the connection or answers within 5 s (a process still starting on a busy machine).</summary>
    public async Task<(HttpStatusCode? Status, string Body)> ProbeAsync(string url)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            using var response = await Client.Http.GetAsync(url, timeout.Token);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(timeout.Token));
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && timeout.IsCancellationRequested))
        {
            return (null, "");
        }
    }

    private string[] MemberArgs(string clusterId) =>
    [
        "--Clustering:Provider", "AzureTable",
        "--Storage:Provider", "AzureTable",
        "--Cluster:ServiceId", ServiceId,
        "--Cluster:ClusterId", clusterId,
    ];

    public async ValueTask DisposeAsync()
    {
        foreach (var api in _apis)
        {
            await api.DisposeAsync();
        }

        foreach (var api in _apiProcesses)
        {
            api.Dispose();
        }

        foreach (var silo in _started)
        {
            silo.Dispose();
        }

        Client.Dispose();
        if (_ownsConfigFile)
        {
            File.Delete(_configFile);
        }
    }
}
