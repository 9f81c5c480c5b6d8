using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Cluster.Grains.Usage;
using Cluster.Relay.Accounting;
using Cluster.Tests.Support;
using Cluster.Tests.Usage;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Cluster.Tests.Chaos;

/// <summary>
/// The cluster keeps its promises while silos die: 3 silo processes on Azurite, 2 client-mode
/// front-ends, 3 backends, 120 sessions sending turn after turn (half streamed) while each silo in
/// turn is killed with SIGKILL and started again. The ledger matches what the backends served,
/// every response a client received completely is recorded once, no finished answer turns into an
/// error, a session moves to another deployment only when its pin was lost with its silo, and a
/// silo that comes back takes its share of the grain work again within 30 s.
/// </summary>
public sealed class ClusterChaosTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string AdminKey = "admin-chaos-secret";
    private const string Model = "chaos-model";
    /// <summary>
    /// Sessions at once. Their grains are most of the grain work and are spread by hashing, so a
    /// rejoined silo's share varies with how many happen to live there: with 120 the 20% bar is
    /// about 3 standard deviations under a fair third (with the issue's 40 it was under 2).
    /// </summary>
    private const int Sessions = 120;
    private static readonly TimeSpan Unanswered = TimeSpan.FromSeconds(40);

    /// <summary>The issue's bar: a silo that rejoins serves at least this share of the grain calls within <see cref="RejoinWithin"/>.</summary>
    private const double RejoinShare = 0.20;
    private static readonly TimeSpan RejoinWithin = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ShareWindow = TimeSpan.FromSeconds(3);

    private readonly string _run = Guid.NewGuid().ToString("N")[..10];
    private readonly List<SiloProcess> _silos = [];
    private readonly List<FakeUpstream> _upstreams = [];
    private readonly GatewayClient _client = new();
    private readonly string _configFile = Path.Combine(Path.GetTempPath(), $"cluster-chaos-{Guid.NewGuid():N}.json");
    private readonly ConcurrentDictionary<string, byte> _completed = new();
    private readonly ConcurrentBag<string> _failures = new();
    private readonly ConcurrentDictionary<int, ConcurrentQueue<string>> _deployments = new();
    private SiloProcessCluster _processes = null!;
    private int _finishedThenFailed;
    private int _sent;

    private string ServiceId => "chaos-" + _run;

    // Several tenants, as the service has: one tenant's limiter is one grain on every request's
    // path, a hot spot no placement can spread, and with one tenant it alone decided which silo
    // got the work after a restart.
    private const int Tenants = 4;

    private string Tenant(int tenant) => $"chaos-{_run}-{tenant}";

    private string Key(int tenant) => $"sk-chaos-{_run}-{tenant}";

    private static int TenantOf(int session) => session % Tenants;

    public async Task InitializeAsync()
    {
        await AzuriteCluster.RequireAzuriteAsync();
        _processes = await SiloProcessCluster.Create().WithConfigFile(_configFile).WithServiceId(ServiceId).BuildAsync();
        for (var i = 0; i < 3; i++)
        {
            var upstream = await FakeUpstream.StartAsync($"chaos-upstream-{i}");
            upstream.Chunks = 5;
            upstream.ChunkInterval = TimeSpan.FromMilliseconds(20);
            _upstreams.Add(upstream);
        }

        var deployments = new JsonArray([.. _upstreams.Select((u, i) => (JsonNode)new JsonObject
        {
            ["Id"] = $"chaos-{i}",
            ["Provider"] = "openai",
            ["BaseUrl"] = u.BaseUrl,
        })]);
        await File.WriteAllTextAsync(_configFile, new JsonObject
        {
            ["Auth"] = new JsonObject { ["Mode"] = "Keys", ["AdminKey"] = AdminKey },
            ["Models"] = new JsonArray(new JsonObject { ["Name"] = Model, ["Deployments"] = deployments }),

            // A limit far above the load: the tenant's limiter is on every request's path, so its
            // silo's death is part of the test, without refusing anything.
            ["Tenants"] = new JsonArray([.. Enumerable.Range(0, Tenants).Select(t => (JsonNode)new JsonObject
            {
                ["Id"] = Tenant(t),
                ["Keys"] = new JsonArray(Key(t)),
                ["Limits"] = new JsonObject { ["Rpm"] = 1_000_000 },
            })]),
        }.ToJsonString());
    }

    [Fact]
    public async Task SessionLoad_EachSiloKilledInTurnAndRestarted_LedgerMatchesBackendsAndNoFinishedAnswerFails()
    {
        var clusterId = "chaos-" + Guid.NewGuid().ToString("N")[..8];
        for (var i = 0; i < 3; i++)
        {
            await StartSiloAsync(clusterId);
        }

        var fronts = new[] { await StartApiAsync(clusterId), await StartApiAsync(clusterId) };
        var rejoins = new List<string>();
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, Sessions).Select(s => Task.Run(() => SessionAsync(s, fronts[s % 2].BaseUrl, stop.Token))).ToArray();
        await WaitUntilAsync(() => _completed.Count >= 200, "the first 200 responses");

        for (var i = 0; i < 3; i++)
        {
            var doomed = _silos[i];
            doomed.Kill();
            var atKill = _completed.Count;
            await WaitUntilAsync(() => _completed.Count >= atKill + 150, $"150 responses after silo {i} was killed", TimeSpan.FromSeconds(90));
            _silos[i] = await _processes.StartSiloAsync(clusterId, doomed.SiloPort, doomed.GatewayPort);
            var atRestart = _completed.Count;
            rejoins.Add(await RejoinShareAsync(i));
            await WaitUntilAsync(() => _completed.Count >= atRestart + 150, $"150 responses after silo {i} came back", TimeSpan.FromSeconds(90));
        }

        stop.Cancel();
        await Task.WhenAll(load);

        // Records the ledger could not take in time were spooled; the front-ends replay them.
        await WaitUntilAsync(() => fronts.All(f => !f.Services.GetRequiredService<LedgerSpool>().HasWork), "the front-ends' spools to drain", TimeSpan.FromSeconds(60));
        var spooled = fronts.Sum(f => f.Services.GetRequiredService<LedgerSpool>().Appended);
        var ledger = new List<UsageRecord>();
        for (var t = 0; t < Tenants; t++)
        {
            ledger.AddRange(await LedgerPages.ReadAsync(fronts[0].Services.GetRequiredService<IGrainFactory>(), Tenant(t)));
        }

        var ids = ledger.Select(r => r.RequestId).ToList();
        var ledgerTokens = ledger.Sum(r => (long)r.TotalTokens);
        var servedTokens = _upstreams.Sum(u => u.ServedPromptTokens + u.ServedCompletionTokens);
        var interrupted = ledger.Where(r => r.Status != "ok").ToList();
        output.WriteLine($"{_sent} sent, {_completed.Count} completed, {_failures.Count} failed ({string.Join(", ", _failures.GroupBy(f => f).Select(g => $"{g.Key}: {g.Count()}"))}); "
            + $"{_finishedThenFailed} finished streams ended in an error; ledger {ids.Count} records / {ledgerTokens} tokens, {interrupted.Count} not ok; "
            + $"backends served {_upstreams.Sum(u => u.CompletedCount)} / {servedTokens} tokens; {spooled} records went through the spool; "
            + $"after each restart the silo's share of grain calls: {string.Join(", ", rejoins)}.");

        // Every response a client received completely is in the ledger, once.
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Empty(_completed.Keys.Except(ids));

        // The ledger matches what the backends served, within 1%.
        Assert.InRange(ledgerTokens, servedTokens * 0.99, servedTokens * 1.01);

        // No answer that reached its end turned into an error; client-visible failures ≤ 1%.
        Assert.Equal(0, _finishedThenFailed);
        Assert.True(_failures.Count <= _sent / 100, $"{_failures.Count} of {_sent} requests failed.");

        // A session changes deployment only when its pin was lost: its grain started over, so it
        // counts fewer requests than the session completed. The front-ends send what they still
        // hold of the sessions' totals first (a total still on its way only makes the count lower).
        foreach (var front in fronts)
        {
            front.Services.GetRequiredService<SessionUsageTally>().Send();
        }

        foreach (var (session, deployments) in _deployments)
        {
            if (deployments.Distinct().Count() > 1)
            {
                var info = await new AdminApi(_client, fronts[0].BaseUrl, AdminKey).GetAsync($"/admin/sessions/{SessionId(session)}?tenant={Tenant(TenantOf(session))}");
                Assert.True(info["requests"]!.GetValue<long>() < deployments.Count, $"Session {session} moved ({string.Join(",", deployments)}) while its pin survived: {info.ToJsonString()}");
            }
        }
    }

    /// <summary>
    /// Waits until the restarted silo <paramref name="index"/> handles at least <see cref="RejoinShare"/>
    /// of the cluster's grain calls over a <see cref="ShareWindow"/>, and fails if that takes longer
    /// than <see cref="RejoinWithin"/> from its start (the issue's requirement, so a deadline by design).
    /// </summary>
    private async Task<string> RejoinShareAsync(int index)
    {
        var started = Stopwatch.GetTimestamp();
        var samples = new List<(long At, double[] Calls)>();
        var seen = new List<string>();
        while (true)
        {
            var calls = await Task.WhenAll(_silos.Select(s =>
                PrometheusScrape.SumAsync(_client.Http, s.HttpUrl + "/metrics", "cluster_grain_calls_handled_total")));
            var now = Stopwatch.GetTimestamp();
            samples.Add((now, calls));
            var since = samples.FindLast(s => Stopwatch.GetElapsedTime(s.At, now) >= ShareWindow);
            if (since.Calls is not null)
            {
                var deltas = calls.Select((c, i) => c - since.Calls[i]).ToArray();
                var total = deltas.Sum();
                var share = total > 0 ? deltas[index] / total : 0;
                seen.Add(share.ToString("P0", CultureInfo.InvariantCulture));
                if (total >= 100 && share >= RejoinShare)
                {
                    return string.Create(CultureInfo.InvariantCulture, $"silo {index} {share:P0} after {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s");
                }
            }

            Assert.True(Stopwatch.GetElapsedTime(started) < RejoinWithin,
                $"Silo {index} did not reach {RejoinShare:P0} of the grain calls within {RejoinWithin.TotalSeconds} s of rejoining; shares over {ShareWindow.TotalSeconds} s windows: {string.Join(" ", seen)}");
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
    }

    /// <summary>One conversation: turn after turn until stopped, every other one streamed.</summary>
    private async Task SessionAsync(int session, string baseUrl, CancellationToken stop)
    {
        var deployments = _deployments.GetOrAdd(session, _ => new ConcurrentQueue<string>());
        for (var turn = 0; !stop.IsCancellationRequested; turn++)
        {
            Interlocked.Increment(ref _sent);
            using var unanswered = new CancellationTokenSource(Unanswered);
            try
            {
                var (id, deployment, failure) = await TurnAsync(baseUrl, session, streamed: (session + turn) % 2 == 0, unanswered.Token);
                if (failure is null)
                {
                    _completed[id] = 0;
                    deployments.Enqueue(deployment ?? "?");
                }
                else
                {
                    _failures.Add(failure);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException)
            {
                _failures.Add(unanswered.IsCancellationRequested ? "unanswered" : ex.GetType().Name);
            }
        }
    }

    private async Task<(string Id, string? Deployment, string? Failure)> TurnAsync(string baseUrl, int session, bool streamed, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, baseUrl + "/v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"{{Model}}","stream":{{(streamed ? "true" : "false")}},"messages":[{"role":"user","content":"turn of session {{session}}"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key(TenantOf(session)));
        request.Headers.Add("x-session-id", SessionId(session));
        using var response = await _client.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var id = response.Headers.TryGetValues("x-request-id", out var ids) ? ids.Single() : "";
        var deployment = response.Headers.TryGetValues("x-session-deployment", out var pinned) ? pinned.Single() : null;
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return (id, deployment, ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture));
        }

        if (!streamed)
        {
            return (id, deployment, null);
        }

        if (body.EndsWith("data: [DONE]\n\n", StringComparison.Ordinal) && !body.Contains("\"error\"", StringComparison.Ordinal))
        {
            return (id, deployment, null);
        }

        // The whole answer arrived (its last chunk says why it stopped) and still the stream failed.
        if (body.Contains("\"finish_reason\":\"stop\"", StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _finishedThenFailed);
        }

        return (id, deployment, "stream-error");
    }

    private string SessionId(int session) => $"chaos-session-{_run}-{session}";

    private async Task StartSiloAsync(string clusterId) => _silos.Add(await _processes.StartSiloAsync(clusterId));

    private Task<GatewayHost> StartApiAsync(string clusterId) => _processes.StartApiAsync(clusterId);

    private Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        Eventually.UntilAsync(condition, what, timeout ?? TimeSpan.FromSeconds(60), () =>
            $"{_completed.Count} completed, {_failures.Count} failed.{Environment.NewLine}{_processes.Output}");

    public async Task DisposeAsync()
    {
        if (_processes is not null)
        {
            await _processes.DisposeAsync();
        }

        foreach (var upstream in _upstreams)
        {
            await upstream.DisposeAsync();
        }

        _client.Dispose();
        File.Delete(_configFile);
    }
}
