using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Cluster.Grains.Usage;
using Cluster.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Cluster.Tests.Usage;

/// <summary>
/// The ledger's durability on Azure Table storage (Azurite): silos run as separate processes, the
/// api is their client, requests flow while one silo is killed with SIGKILL and started again.
/// Every request whose response completed is in the ledger, once, as read back by a fresh
/// cluster from storage.
/// </summary>
public sealed class LedgerDurabilityTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string AdminKey = "admin-durable-secret";
    private const string Model = "durable-model";
    private static readonly TimeSpan Unanswered = TimeSpan.FromSeconds(10);

    private readonly string _run = Guid.NewGuid().ToString("N")[..10];
    private SiloProcessCluster _processes = null!;
    private readonly GatewayClient _client = new();
    private readonly string _configFile = Path.Combine(Path.GetTempPath(), $"cluster-test-{Guid.NewGuid():N}.json");
    private FakeUpstream _upstream = null!;

    private string ServiceId => "durable-" + _run;

    private string Tenant => "durable-" + _run;

    private string Key => "sk-durable-" + _run;

    public async Task InitializeAsync()
    {
        await AzuriteCluster.RequireAzuriteAsync();
        _processes = await SiloProcessCluster.Create().WithConfigFile(_configFile).WithServiceId(ServiceId).BuildAsync();
        _upstream = await FakeUpstream.StartAsync("durable-upstream");
        await File.WriteAllTextAsync(_configFile, new JsonObject
        {
            ["Auth"] = new JsonObject { ["Mode"] = "Keys", ["AdminKey"] = AdminKey },
            ["Models"] = new JsonArray(new JsonObject
            {
                ["Name"] = Model,
                ["Deployments"] = new JsonArray(new JsonObject { ["Provider"] = "openai", ["BaseUrl"] = _upstream.BaseUrl }),
            }),
            ["Tenants"] = new JsonArray(new JsonObject { ["Id"] = Tenant, ["Keys"] = new JsonArray(Key) }),
        }.ToJsonString());
    }

    [Fact]
    public async Task Ledger_SiloKilledWhileRequestsFlow_EveryCompletedResponseRecordedOnce()
    {
        var clusterId = "durable-" + Guid.NewGuid().ToString("N")[..8];
        var first = await StartSiloAsync(clusterId);
        var doomed = await StartSiloAsync(clusterId);
        var api = await StartApiAsync(clusterId);

        var completed = new ConcurrentDictionary<string, DateTime>();
        var failures = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 6).Select(_ => Task.Run(() => LoadAsync(api.BaseUrl, completed, failures, stop.Token))).ToArray();

        await WaitUntilAsync(() => completed.Count >= 150, "requests to complete before the kill");
        var killedAt = DateTime.UtcNow;
        doomed.Kill();
        var completedBeforeKill = completed.Where(c => c.Value < killedAt).Select(c => c.Key).ToHashSet();

        // Keep sending through the failure and a while after the silo is back.
        await WaitUntilAsync(() => completed.Count >= completedBeforeKill.Count + 50, "requests to complete after the kill", TimeSpan.FromSeconds(60));
        var restarted = await StartSiloAsync(clusterId, doomed.SiloPort, doomed.GatewayPort);
        var beforeRestartDone = completed.Count;
        await WaitUntilAsync(() => completed.Count >= beforeRestartDone + 100, "requests to complete after the restart", TimeSpan.FromSeconds(60));
        stop.Cancel();
        await Task.WhenAll(load);
        Assert.True(doomed.HasExited);

        // Read back by a cluster that has nothing in memory: a new silo and client on the same storage.
        var all = completed.Keys.ToHashSet();
        first.Kill();
        restarted.Kill();
        var readerCluster = "reader-" + Guid.NewGuid().ToString("N")[..8];
        await StartSiloAsync(readerCluster);
        var reader = await StartApiAsync(readerCluster);
        var ledger = await LedgerPages.ReadAsync(reader.Services.GetRequiredService<IGrainFactory>(), Tenant);
        var ids = ledger.Select(r => r.RequestId).ToList();
        output.WriteLine($"{completedBeforeKill.Count} completed before the kill, {all.Count} in all; {failures.Count} failed ({string.Join(", ", failures.GroupBy(f => f).Select(g => $"{g.Key}: {g.Count()}"))}); "
            + $"the ledger holds {ids.Count}, the upstream saw {_upstream.RequestCount}.");

        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Empty(completedBeforeKill.Except(ids));
        Assert.Empty(all.Except(ids));
        Assert.InRange(ids.Count, all.Count, _upstream.RequestCount);
        Assert.All(ledger.Where(r => all.Contains(r.RequestId)), r => Assert.Equal("ok", r.Status));

        var usage = await new AdminApi(_client, reader.BaseUrl, AdminKey).UsageAsync(Tenant);
        Assert.Equal(ids.Count, usage["totals"]!["requests"]!.GetValue<long>());
    }

    /// <summary>One caller: chat requests, every third one streamed and read to its [DONE].</summary>
    private async Task LoadAsync(string baseUrl, ConcurrentDictionary<string, DateTime> completed, ConcurrentBag<string> failures, CancellationToken stop)
    {
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            using var unanswered = new CancellationTokenSource(Unanswered);
            try
            {
                var (id, outcome) = i % 3 == 0 ? await StreamAsync(baseUrl, unanswered.Token) : await CompleteAsync(baseUrl, unanswered.Token);
                if (outcome is null)
                {
                    completed[id] = DateTime.UtcNow;
                }
                else
                {
                    failures.Add(outcome);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException)
            {
                failures.Add(unanswered.IsCancellationRequested ? "unanswered" : ex.GetType().Name);
            }
        }
    }

    private async Task<(string Id, string? Failure)> CompleteAsync(string baseUrl, CancellationToken cancellationToken)
    {
        var response = await _client.ChatAsync(baseUrl, Key, Model, cancellationToken: cancellationToken);
        var id = response.Header("x-request-id") ?? "";
        return response.Status == HttpStatusCode.OK ? (id, null) : (id, ((int)response.Status).ToString(CultureInfo.InvariantCulture));
    }

    private async Task<(string Id, string? Failure)> StreamAsync(string baseUrl, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, baseUrl + "/v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"{{Model}}","stream":true,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        using var response = await _client.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var id = response.Headers.TryGetValues("x-request-id", out var values) ? values.Single() : "";
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return (id, ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
        }

        // A stream that broke after it began ends with an error event instead of [DONE].
        return body.EndsWith("data: [DONE]\n\n", StringComparison.Ordinal) && !body.Contains("\"error\"", StringComparison.Ordinal)
            ? (id, null)
            : (id, "stream-error");
    }

    private Task<SiloProcess> StartSiloAsync(string clusterId, int? siloPort = null, int? gatewayPort = null) =>
        _processes.StartSiloAsync(clusterId, siloPort, gatewayPort);

    private Task<GatewayHost> StartApiAsync(string clusterId) => _processes.StartApiAsync(clusterId);

    private Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        Eventually.UntilAsync(condition, what, timeout ?? TimeSpan.FromSeconds(30), () => _processes.Output);

    public async Task DisposeAsync()
    {
        // Every front-end, and every child process by its PID, whatever state the test left them in.
        if (_processes is not null)
        {
            await _processes.DisposeAsync();
        }

        if (_upstream is not null)
        {
            await _upstream.DisposeAsync();
        }

        _client.Dispose();
        File.Delete(_configFile);
    }
}
