using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Cluster.Tests.Support;
using Xunit.Abstractions;

namespace Cluster.Tests.Drain;

/// <summary>
/// A rolling update of the silos under steady load, as an orchestrator runs one: 3 silo processes
/// and 2 api front-ends on Azure Table storage (Azurite); callers send ~1 s streams and
/// non-streamed requests without pause while every silo in turn gets SIGTERM, drains, exits and
/// is replaced. No caller sees an error, every silo exits 0, and the ledger holds exactly what the
/// backend served.
/// </summary>
public sealed class RollingRestartTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Silos = 3;
    private const int Callers = 8;
    private const int StreamChunks = 10;
    private static readonly TimeSpan Unanswered = TimeSpan.FromSeconds(30);

    private readonly ConcurrentBag<string> _failures = [];
    private long _completed;
    private FakeUpstream _upstream = null!;
    private DrainConfig _config = null!;
    private SiloProcessCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstream.StartAsync("rolling-upstream");
        _upstream.Chunks = StreamChunks;
        _upstream.ChunkInterval = TimeSpan.FromMilliseconds(100);
        _config = new DrainConfig(_upstream.BaseUrl);
        _cluster = await SiloProcessCluster.Create().WithConfig(_config.Json).WithServiceId(_config.ServiceId).BuildAsync();
    }

    [Fact]
    public async Task RollingRestart_EverySiloInTurnUnderLoad_NoClientErrorsAndLedgerEqualsServed()
    {
        var silos = new SiloProcess[Silos];
        for (var i = 0; i < Silos; i++)
        {
            silos[i] = await _cluster.StartSiloAsync();
        }

        var frontEnds = new[] { await _cluster.StartApiProcessAsync(), await _cluster.StartApiProcessAsync() };
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, Callers)
            .Select(i => Task.Run(() => CallAsync(frontEnds[i % frontEnds.Length].BaseUrl, stream: i % 2 == 0, stop.Token)))
            .ToArray();
        await Eventually.UntilAsync(() => Interlocked.Read(ref _completed) >= 40, "requests to flow before the restarts", TimeSpan.FromSeconds(60), () => _cluster.Output);

        var report = new List<string>();
        for (var i = 0; i < Silos; i++)
        {
            var old = silos[i];
            var before = Interlocked.Read(ref _completed);
            var clock = Stopwatch.StartNew();
            old.Terminate();
            var exitCode = await old.WaitForExitAsync(TimeSpan.FromSeconds(60));
            var drained = clock.Elapsed;
            Assert.True(exitCode == 0, $"silo {i} exited with {exitCode}:{Environment.NewLine}{old.Output}");
            Assert.Equal("Dead", await _cluster.MembershipStatusAsync(old.SiloPort));

            silos[i] = await _cluster.StartSiloAsync(old.SiloPort, old.GatewayPort);
            await Eventually.UntilAsync(async () => (await _cluster.ProbeAsync(silos[i].HttpUrl + "/health/ready")).Status == HttpStatusCode.OK,
                $"the replacement of silo {i} to be ready", TimeSpan.FromSeconds(60), () => _cluster.Output);
            var replaced = clock.Elapsed;

            // Let traffic reach the new silo before the next one goes.
            var atReady = Interlocked.Read(ref _completed);
            await Eventually.UntilAsync(() => Interlocked.Read(ref _completed) >= atReady + 30, $"requests to flow after silo {i} was replaced", TimeSpan.FromSeconds(60), () => _cluster.Output);
            report.Add(string.Create(CultureInfo.InvariantCulture,
                $"silo {i}: exit {exitCode} {drained.TotalMilliseconds:F0} ms after SIGTERM, replacement ready after {replaced.TotalSeconds:F1} s, {atReady - before} requests completed meanwhile"));
        }

        await stop.CancelAsync();
        await Task.WhenAll(load);

        var usage = await new AdminApi(_cluster.Client, frontEnds[0].BaseUrl, DrainConfig.AdminKey).UsageAsync(_config.Tenant);
        var totals = usage["totals"]!;
        var completed = Interlocked.Read(ref _completed);
        report.Add($"{completed} requests completed, {_failures.Count} failed ({string.Join(", ", _failures.GroupBy(f => f).Select(g => $"{g.Key} ×{g.Count()}"))}); "
            + $"upstream served {_upstream.CompletedCount} of {_upstream.RequestCount} ({_upstream.ServedPromptTokens}+{_upstream.ServedCompletionTokens} tokens); "
            + $"ledger: {totals["requests"]} requests, {totals["prompt_tokens"]}+{totals["completion_tokens"]} tokens");
        output.WriteLine(string.Join(Environment.NewLine, report));

        Assert.True(_failures.IsEmpty, $"{_failures.Count} client errors, e.g. {_failures.FirstOrDefault()}{Environment.NewLine}{_cluster.Output}");
        Assert.Equal(completed, _upstream.CompletedCount);
        Assert.Equal(_upstream.RequestCount, _upstream.CompletedCount);
        Assert.Equal(_upstream.CompletedCount, totals["requests"]!.GetValue<long>());
        Assert.Equal(_upstream.ServedPromptTokens, totals["prompt_tokens"]!.GetValue<long>());
        Assert.Equal(_upstream.ServedCompletionTokens, totals["completion_tokens"]!.GetValue<long>());
    }

    /// <summary>One caller: the same kind of request, one after the other, until told to stop.</summary>
    private async Task CallAsync(string baseUrl, bool stream, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            using var unanswered = new CancellationTokenSource(Unanswered);
            try
            {
                var failure = stream ? await StreamAsync(baseUrl, unanswered.Token) : await CompleteAsync(baseUrl, unanswered.Token);
                if (failure is null)
                {
                    Interlocked.Increment(ref _completed);
                }
                else
                {
                    _failures.Add(failure);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException)
            {
                _failures.Add(unanswered.IsCancellationRequested ? "unanswered" : ex.GetType().Name);
            }
        }
    }

    private async Task<string?> CompleteAsync(string baseUrl, CancellationToken cancellationToken)
    {
        var response = await _cluster.Client.ChatAsync(baseUrl, _config.Key, DrainConfig.Model, cancellationToken: cancellationToken);
        return response.Status == HttpStatusCode.OK ? null : $"{(int)response.Status} {response.Body}";
    }

    private async Task<string?> StreamAsync(string baseUrl, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, baseUrl + "/v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"{{DrainConfig.Model}}","stream":true,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _config.Key);
        using var response = await _cluster.Client.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return $"{(int)response.StatusCode} {body}";
        }

        // A stream that broke after it began ends with an error event instead of [DONE].
        return body.EndsWith("data: [DONE]\n\n", StringComparison.Ordinal) && !body.Contains("\"error\"", StringComparison.Ordinal)
            ? null
            : "stream-error " + body[Math.Max(0, body.LastIndexOf("data: ", StringComparison.Ordinal))..].Trim();
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _upstream.DisposeAsync();
    }
}
