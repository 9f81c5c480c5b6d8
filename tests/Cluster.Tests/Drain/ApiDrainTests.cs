using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Cluster.Tests.Support;
using Xunit.Abstractions;

namespace Cluster.Tests.Drain;

/// <summary>
/// An api process (a front-end, pure Orleans client) stopped with SIGTERM while it relays a long
/// stream: it stops taking new requests, finishes the stream to its <c>[DONE]</c>, and exits 0.
/// </summary>
public sealed class ApiDrainTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Chunks = 20;
    private FakeUpstream _upstream = null!;
    private DrainConfig _config = null!;
    private SiloProcessCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstream.StartAsync("drain-upstream");
        _upstream.Chunks = Chunks;
        _upstream.ChunkInterval = TimeSpan.FromMilliseconds(150);
        _config = new DrainConfig(_upstream.BaseUrl);
        _cluster = await SiloProcessCluster.Create().WithConfig(_config.Json).WithServiceId(_config.ServiceId).BuildAsync();
    }

    [Fact]
    public async Task Sigterm_DuringLongStream_StreamFinishesAndExitsZero()
    {
        await _cluster.StartSiloAsync();
        var (api, baseUrl) = await _cluster.StartApiProcessAsync();
        Assert.Equal(HttpStatusCode.OK, (await _cluster.ProbeAsync(baseUrl + "/health/ready")).Status);

        using var request = new HttpRequestMessage(HttpMethod.Post, baseUrl + "/v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"{{DrainConfig.Model}}","stream":true,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _config.Key);
        using var response = await _cluster.Client.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var body = new StringBuilder();

        // The stream is under way: its first event has arrived.
        var first = await reader.ReadLineAsync();
        Assert.StartsWith("data: {", first, StringComparison.Ordinal);
        body.Append(first).Append('\n');

        var clock = Stopwatch.StartNew();
        api.Terminate();

        // From now on the front-end takes no new work: readiness is 503 or nothing accepts the connection.
        await Eventually.UntilAsync(async () => (await _cluster.ProbeAsync(baseUrl + "/health/ready")).Status != HttpStatusCode.OK,
            "the api to stop being ready", TimeSpan.FromSeconds(10), () => _cluster.Output);
        var afterSigterm = await _cluster.ProbeAsync(baseUrl + "/health/ready");

        // The stream in flight goes on to its end.
        body.Append(await reader.ReadToEndAsync());
        var streamEnded = clock.Elapsed;
        var exitCode = await api.WaitForExitAsync(TimeSpan.FromSeconds(40));
        output.WriteLine($"stream ended {streamEnded.TotalMilliseconds:F0} ms after SIGTERM, process exited {clock.Elapsed.TotalMilliseconds:F0} ms after it with code {exitCode}; "
            + $"readiness after SIGTERM: {afterSigterm.Status?.ToString() ?? "connection refused"}");

        var text = body.ToString();
        Assert.EndsWith("data: [DONE]\n\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("\"error\"", text, StringComparison.Ordinal);
        Assert.Contains($"part{Chunks - 1} ", text, StringComparison.Ordinal);
        Assert.True(exitCode == 0, $"exit code {exitCode}:{Environment.NewLine}{api.Output}");
        Assert.Equal(1, _upstream.CompletedCount);
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _upstream.DisposeAsync();
    }
}
