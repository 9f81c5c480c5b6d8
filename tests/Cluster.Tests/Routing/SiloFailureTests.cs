using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Cluster.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Xunit.Abstractions;

namespace Cluster.Tests.Routing;

/// <summary>
/// Silos dying under load, on the real deployment shape: two silos on Azurite (membership and
/// grain state) and two api front-ends that are pure Orleans clients of them.
/// </summary>
[Collection(SiloFailureCollection.Name)]
public sealed class SiloFailureTests(ITestOutputHelper output)
{
    private const string Model = "steady";

    [Fact]
    public async Task KillSilo_UnderSteadyLoad_NoRequestFailsAndNoneRunsTwice()
    {
        await using var upstream = await FakeUpstream.StartAsync("steady-backend");
        upstream.Delay = TimeSpan.FromMilliseconds(50);
        await using var cluster = await StartClusterAsync(upstream);
        await using var api0 = await GatewayHost.StartAsync(Config(upstream), cluster.ClientArgs);
        await using var api1 = await GatewayHost.StartAsync(Config(upstream), cluster.ClientArgs);
        using var load = new SteadyLoad([api0.BaseUrl, api1.BaseUrl], workers: 8);

        await Eventually.UntilAsync(() => load.Completed(since: TimeSpan.Zero) >= 100, "100 requests under steady load", TimeSpan.FromSeconds(30));
        var survivor = cluster.Silos[1]!;
        var victim = cluster.Silos[0]!.Address;
        var killedAt = load.Elapsed;
        await cluster.StopSiloAsync(0, graceful: false);

        // Recovered: the survivor has declared the dead silo dead, so nothing is routed to it any more.
        var membership = survivor.Services.GetRequiredService<IClusterMembershipService>();
        await Eventually.UntilAsync(() => membership.CurrentSnapshot.GetSiloStatus(victim) == SiloStatus.Dead, "the killed silo to be declared dead", TimeSpan.FromSeconds(45));

        // After recovery, more than 100 requests (each must succeed, asserted below).
        var recoveredAt = load.Elapsed;
        await Eventually.UntilAsync(() => load.Completed(since: recoveredAt) > 100, "more than 100 requests after recovery", TimeSpan.FromSeconds(60));
        var results = await load.StopAsync();

        var received = upstream.Requests.Select(r => r["messages"]![0]!["content"]!.GetValue<string>()).GroupBy(m => m).ToDictionary(g => g.Key, g => g.Count());
        var failed = results.Where(r => !r.Ok).ToList();
        var hung = failed.Where(r => r.Status <= 0).ToList();
        output.WriteLine($"silo killed at {killedAt.TotalSeconds:0.0} s, declared dead at {recoveredAt.TotalSeconds:0.0} s; {results.Count} requests, {failed.Count} failed "
            + $"({hung.Count} never answered), {received.Count(r => r.Value > 1)} sent upstream twice");
        foreach (var failure in failed)
        {
            output.WriteLine($"  failed {failure.Started.TotalSeconds:0.00}-{failure.Ended.TotalSeconds:0.00} s: {failure.Status}, seen upstream {received.GetValueOrDefault(failure.Marker)}x: {failure.Body}");
        }

        Assert.All(results.Where(r => r.Ended < killedAt), r => Assert.True(r.Ok, $"before the kill: {r.Status} {r.Body}"));

        // No response passes through a silo, and the grain calls a request makes are resent until the
        // dead silo's grains have moved: the kill costs no request at all.
        Assert.Empty(failed);

        // Nothing ran twice on the backend: a request that may have reached it is not sent again.
        Assert.DoesNotContain(received, r => r.Value > 1);

        // After recovery, no errors at all.
        var afterRecovery = results.Where(r => r.Started > recoveredAt).ToList();
        Assert.True(afterRecovery.Count > 100, $"only {afterRecovery.Count} requests after recovery");
        Assert.All(afterRecovery, r => Assert.True(r.Ok, $"after recovery: {r.Status} {r.Body}"));
    }

    /// <summary>
    /// Requests in flight when a silo dies are served: their bytes never pass through a silo, and
    /// their ledger records reach a survivor (or the spool) within the durable wait.
    /// </summary>
    [Fact]
    public async Task KillSilo_RequestsInFlight_AllServed()
    {
        await using var upstream = await FakeUpstream.StartAsync("slow-backend");
        upstream.Delay = TimeSpan.FromSeconds(2);
        await using var cluster = await StartClusterAsync(upstream);
        await using var api = await GatewayHost.StartAsync(Config(upstream), cluster.ClientArgs);
        using var slow = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

        // Sixteen at once, all at the backend when the silo dies.
        var calls = Enumerable.Range(0, 16).Select(async _ =>
        {
            try
            {
                return (await PostAsync(slow, api.BaseUrl, stream: false)).Status;
            }
            catch (TaskCanceledException)
            {
                return -1;
            }
        }).ToArray();
        await Eventually.UntilAsync(() => upstream.RequestCount == 16, "the upstream to hold all 16 streams", TimeSpan.FromSeconds(10));
        await cluster.StopSiloAsync(0, graceful: false);
        var statuses = await Task.WhenAll(calls);

        output.WriteLine("in flight when a silo died: " + string.Join(" ", statuses));
        Assert.All(statuses, s => Assert.Equal(200, s));
    }

    [Fact]
    public async Task NoSiloReachable_UnlimitedTenant_ServedAndRecordedOnceASiloReturns()
    {
        // Neither the bytes nor the record of a request need a silo: the front-end calls the backend
        // itself, and a record the ledger cannot take in time waits in its local spool.
        await using var upstream = await FakeUpstream.StartAsync("lonely-backend");
        await using var cluster = await StartClusterAsync(upstream);
        await using var api = await GatewayHost.StartAsync(Config(upstream), cluster.ClientArgs);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(40) };
        Assert.Equal(200, (await PostAsync(http, api.BaseUrl, stream: false)).Status);

        var stopped = new[] { await cluster.StopSiloAsync(0, graceful: false), await cluster.StopSiloAsync(1, graceful: false) };
        var answers = new List<(int Status, string? RetryAfter, string Body, TimeSpan Took, string? Id)>();
        for (var i = 0; i < 4; i++)
        {
            answers.Add(await PostWithIdAsync(http, api.BaseUrl, stream: i % 2 == 1));
        }

        foreach (var answer in answers)
        {
            output.WriteLine($"no silo: {answer.Status} in {answer.Took.TotalMilliseconds:0} ms: {answer.Body[..Math.Min(80, answer.Body.Length)]}");
        }

        Assert.All(answers, a => Assert.Equal(200, a.Status));
        var spool = api.Services.GetRequiredService<global::Cluster.Relay.Accounting.LedgerSpool>();
        Assert.Equal(answers.Count, spool.Appended);

        // A silo comes back (on its old ports): the spool is replayed into the ledger by itself.
        await cluster.RestartSiloAsync(1, stopped[1]);
        var grains = api.Services.GetRequiredService<IGrainFactory>();
        string[] recorded = [];
        await Eventually.UntilAsync(
            async () =>
            {
                try
                {
                    recorded = [.. (await Usage.LedgerPages.ReadAsync(grains, "default")).Select(r => r.RequestId)];
                }
                catch (Exception ex) when (ex is OrleansException or TimeoutException)
                {
                    // The cluster is still coming back.
                }

                return answers.All(a => recorded.Contains(a.Id)) && !spool.HasWork;
            },
            "every answer to reach the ledger from the spool",
            TimeSpan.FromSeconds(60),
            () => $"{recorded.Length} recorded, spool has work: {spool.HasWork}",
            TimeSpan.FromMilliseconds(200));

        Assert.All(answers, a => Assert.Single(recorded, id => id == a.Id));
        Assert.Equal(200, (await PostAsync(http, api.BaseUrl, stream: true)).Status);
    }

    [Fact]
    public async Task NoSiloReachable_LimitedTenant_Requests503WithRetryAfter()
    {
        // A limited tenant cannot be admitted without its limiter: after the retry window, 503.
        await using var upstream = await FakeUpstream.StartAsync("limited-backend");
        var config = new
        {
            Auth = new { Mode = "Open", AdminKey = "silo-failure-admin-key" },
            Models = new[] { new { Name = Model, Deployments = new[] { new { Provider = "openai", BaseUrl = upstream.BaseUrl } } } },
            Tenants = new[] { new { Id = "default", Keys = new[] { "sk-limited-default" }, Limits = new { Rpm = 1000 } } },
        };
        await using var cluster = await AzuriteCluster.Configure(config).WithSilos(1).WithServiceId("silo-failure-" + Guid.NewGuid().ToString("N")[..12]).StartAsync();
        await using var api = await GatewayHost.StartAsync(config, [.. cluster.ClientArgs, "--Cluster:RetryWindowSeconds", "3"]);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(40) };
        Assert.Equal(200, (await PostAsync(http, api.BaseUrl, stream: false)).Status);

        await cluster.StopSiloAsync(0, graceful: false);
        var answer = await PostAsync(http, api.BaseUrl, stream: true);

        output.WriteLine($"no silo: {answer.Status} Retry-After {answer.RetryAfter} in {answer.Took.TotalMilliseconds:0} ms: {answer.Body}");
        Assert.Equal(503, answer.Status);
        Assert.NotNull(answer.RetryAfter);
        Assert.Equal("cluster_unavailable", JsonNode.Parse(answer.Body)!["error"]!["code"]!.GetValue<string>());
    }

    private static async Task<(int Status, string? RetryAfter, string Body, TimeSpan Took, string? Id)> PostWithIdAsync(HttpClient http, string baseUrl, bool stream)
    {
        var started = Stopwatch.StartNew();
        var body = $$"""{"model":"{{Model}}","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"anyone there?"}]}""";
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(baseUrl + "/v1/chat/completions", content);
        var text = await response.Content.ReadAsStringAsync();
        var id = response.Headers.TryGetValues("x-request-id", out var ids) ? ids.Single() : null;
        return ((int)response.StatusCode, response.Headers.RetryAfter?.ToString(), text, started.Elapsed, id);
    }

    private static async Task<(int Status, string? RetryAfter, string Body, TimeSpan Took)> PostAsync(HttpClient http, string baseUrl, bool stream)
    {
        var started = Stopwatch.StartNew();
        var body = $$"""{"model":"{{Model}}","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"anyone there?"}]}""";
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(baseUrl + "/v1/chat/completions", content);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, response.Headers.RetryAfter?.ToString(), text, started.Elapsed);
    }

    private static object Config(FakeUpstream upstream) => new
    {
        Auth = new { AdminKey = "silo-failure-admin-key" },
        Models = new[] { new { Name = Model, Deployments = new[] { new { Provider = "openai", BaseUrl = upstream.BaseUrl } } } },
    };

    private static Task<AzuriteCluster> StartClusterAsync(FakeUpstream upstream) =>
        AzuriteCluster.Configure(Config(upstream)).WithSilos(2).WithServiceId("silo-failure-" + Guid.NewGuid().ToString("N")[..12]).StartAsync();

    /// <summary>What one request of the load showed its client.</summary>
    private sealed record Outcome(string Marker, TimeSpan Started, TimeSpan Ended, int Status, bool Ok, string? RetryAfter, string Body);

    /// <summary>
    /// Workers that send chat completions back to back, alternating front-ends, each with a marker
    /// the upstream can be searched for.
    /// </summary>
    private sealed class SteadyLoad : IDisposable
    {
        private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(8) };
        private readonly CancellationTokenSource _stop = new();
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly ConcurrentQueue<Outcome> _outcomes = new();
        private readonly Task[] _workers;
        private int _sequence;

        public SteadyLoad(string[] frontEnds, int workers)
        {
            _workers = [.. Enumerable.Range(0, workers).Select(w => Task.Run(() => RunAsync(frontEnds, w)))];
        }

        public TimeSpan Elapsed => _clock.Elapsed;

        /// <summary>Requests started after <paramref name="since"/> that have their outcome.</summary>
        public int Completed(TimeSpan since) => _outcomes.Count(o => o.Started > since);

        public async Task<List<Outcome>> StopAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_workers);
            return [.. _outcomes.OrderBy(o => o.Started)];
        }

        private async Task RunAsync(string[] frontEnds, int worker)
        {
            while (!_stop.IsCancellationRequested)
            {
                var sequence = Interlocked.Increment(ref _sequence);
                var marker = $"load-{sequence}";
                var started = _clock.Elapsed;
                var body = new JsonObject
                {
                    ["model"] = Model,
                    ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = marker }),
                };
                try
                {
                    using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
                    using var response = await _http.PostAsync(frontEnds[(worker + sequence) % frontEnds.Length] + "/v1/chat/completions", content);
                    var text = await response.Content.ReadAsStringAsync();
                    _outcomes.Enqueue(new Outcome(marker, started, _clock.Elapsed, (int)response.StatusCode, response.StatusCode == HttpStatusCode.OK, response.Headers.RetryAfter?.ToString(), text.Length > 300 ? text[..300] : text));
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        await Task.Delay(50);
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    _outcomes.Enqueue(new Outcome(marker, started, _clock.Elapsed, ex is TaskCanceledException ? -1 : 0, false, null, ex.Message));
                }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _http.Dispose();
            _stop.Dispose();
        }
    }
}
