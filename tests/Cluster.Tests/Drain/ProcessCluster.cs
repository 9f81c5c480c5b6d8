using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Cluster.Tests.Support;

namespace Cluster.Tests.Drain;

/// <summary>
/// A cluster of real processes on Azure Table storage (Azurite), as an orchestrator runs it: silo
/// programs and api programs (pure Orleans clients), all on one configuration file, one
/// <c>ServiceId</c> and one <c>ClusterId</c> of their own. Disposing kills whatever still runs, by PID.
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    public const string AdminKey = "admin-drain-secret";
    public const string Model = "drain-model";

    private const string MembershipTable = "OrleansSiloInstances";
    private readonly string _run = Guid.NewGuid().ToString("N")[..10];
    private readonly string _configFile = Path.Combine(Path.GetTempPath(), $"cluster-test-{Guid.NewGuid():N}.json");
    private readonly List<SiloProcess> _silos = [];
    private readonly List<ProgramProcess> _apis = [];

    private ProcessCluster()
    {
    }

    public string ServiceId => "drain-" + _run;

    public string ClusterId => "drain-" + _run;

    public string Tenant => "drain-" + _run;

    public string Key => "sk-drain-" + _run;

    public GatewayClient Client { get; } = new();

    /// <summary>A configuration with one model served by <paramref name="upstreamBaseUrl"/> and one tenant with <see cref="Key"/>.</summary>
    public static async Task<ProcessCluster> CreateAsync(string upstreamBaseUrl)
    {
        await AzuriteCluster.RequireAzuriteAsync();
        var cluster = new ProcessCluster();
        await File.WriteAllTextAsync(cluster._configFile, new JsonObject
        {
            ["Auth"] = new JsonObject { ["Mode"] = "Keys", ["AdminKey"] = AdminKey },
            ["Models"] = new JsonArray(new JsonObject
            {
                ["Name"] = Model,
                ["Deployments"] = new JsonArray(new JsonObject { ["Provider"] = "openai", ["BaseUrl"] = upstreamBaseUrl }),
            }),
            ["Tenants"] = new JsonArray(new JsonObject { ["Id"] = cluster.Tenant, ["Keys"] = new JsonArray(cluster.Key) }),
        }.ToJsonString());
        return cluster;
    }

    /// <summary>Starts a silo process; returns once it has joined the cluster.</summary>
    public async Task<SiloProcess> StartSiloAsync(int? siloPort = null, int? gatewayPort = null)
    {
        var silo = await SiloProcess.StartAsync(_configFile, siloPort ?? FreePorts.Next(), gatewayPort ?? FreePorts.Next(), CommonArgs);
        _silos.Add(silo);
        return silo;
    }

    /// <summary>Starts an api process as a pure client of the silos; returns its base URL once it serves.</summary>
    public async Task<(ProgramProcess Process, string BaseUrl)> StartApiAsync()
    {
        var port = FreePorts.Next();
        var baseUrl = $"http://127.0.0.1:{port}";
        var api = await ProgramProcess.StartAsync("Cluster.Api.dll",
        [
            "--config", _configFile,
            "--urls", baseUrl,
            "--Cluster:Mode", "Client",
            "--Logging:LogLevel:Default", "Warning",
            "--Logging:LogLevel:Microsoft.Hosting.Lifetime", "Information",
            .. CommonArgs,
        ]);
        _apis.Add(api);
        return (api, baseUrl);
    }

    /// <summary>The status of the process's row in the membership table (<c>Active</c>, <c>ShuttingDown</c>, <c>Dead</c>, …), or null when it has none.</summary>
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

    /// <summary>GET <paramref name="url"/>: its status, or null when nothing accepts the connection.</summary>
    public async Task<(HttpStatusCode? Status, string Body)> ProbeAsync(string url)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            using var response = await Client.Http.GetAsync(url, timeout.Token);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(timeout.Token));
        }
        catch (HttpRequestException)
        {
            return (null, "");
        }
    }

    /// <summary>Everything the processes wrote, for failure messages.</summary>
    public string Logs =>
        string.Join(Environment.NewLine, _silos.Select(s => $"--- silo {s.Id}:{Environment.NewLine}{s.Output}")
            .Concat(_apis.Select(a => $"--- api {a.Id}:{Environment.NewLine}{a.Output}")));

    private string[] CommonArgs =>
    [
        "--Clustering:Provider", "AzureTable",
        "--Storage:Provider", "AzureTable",
        "--Cluster:ServiceId", ServiceId,
        "--Cluster:ClusterId", ClusterId,
    ];

    public ValueTask DisposeAsync()
    {
        foreach (var api in _apis)
        {
            api.Dispose();
        }

        foreach (var silo in _silos)
        {
            silo.Dispose();
        }

        Client.Dispose();
        File.Delete(_configFile);
        return ValueTask.CompletedTask;
    }
}
