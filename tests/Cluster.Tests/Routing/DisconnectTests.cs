using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Cluster.Tests.Support;
using Xunit.Abstractions;

namespace Cluster.Tests.Routing;

/// <summary>
/// A client that hangs up cancels the upstream call: the backend sees its connection closed within
/// a second, whether the gateway co-hosts the silo or reaches it over the network as a client.
/// </summary>
public sealed class DisconnectTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Stream_ClientHangsUpAfterFirstChunk_UpstreamSeesCloseWithinOneSecond()
    {
        await using var set = await ReplicaSet.StartAsync(1);
        var upstream = set.Replicas[0];
        upstream.Chunks = 200;
        upstream.ChunkInterval = TimeSpan.FromMilliseconds(100);

        var delay = await HangUpMidStreamAsync(set.Gateway.BaseUrl, ReplicaSet.Model, upstream);

        output.WriteLine($"co-hosted: upstream saw the close {delay.TotalMilliseconds:0} ms after the client hung up");
        Assert.True(delay < Limit, $"the upstream saw the close only after {delay.TotalMilliseconds:0} ms");
        Assert.Equal(1, upstream.ClosedEarlyCount);
        Assert.Equal(0, upstream.CompletedCount);
    }

    [Fact]
    public async Task NonStreamed_ClientHangsUpWhileWaiting_UpstreamSeesCloseWithinOneSecond()
    {
        await using var set = await ReplicaSet.StartAsync(1);
        var upstream = set.Replicas[0];
        upstream.Delay = TimeSpan.FromSeconds(30);
        var closed = Watch(upstream);

        using var cancel = new CancellationTokenSource();
        var call = set.PostChatAsync(cancellationToken: cancel.Token);
        await Eventually.UntilAsync(() => upstream.RequestCount == 1, "the upstream to receive the request", TimeSpan.FromSeconds(5));
        var hungUp = DateTimeOffset.UtcNow;
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        var seen = await closed.WaitAsync(TimeSpan.FromSeconds(5));

        output.WriteLine($"non-streamed: upstream saw the close {(seen - hungUp).TotalMilliseconds:0} ms after the client hung up");
        Assert.True(seen - hungUp < Limit, $"the upstream saw the close only after {(seen - hungUp).TotalMilliseconds:0} ms");
        Assert.Equal(0, upstream.CompletedCount);
    }

    [Fact]
    public async Task Stream_ApiAsClientOfRemoteSilo_UpstreamSeesCloseWithinOneSecond()
    {
        await using var upstream = await FakeUpstream.StartAsync("remote-replica");
        upstream.Chunks = 200;
        upstream.ChunkInterval = TimeSpan.FromMilliseconds(100);
        var config = new
        {
            Models = new[] { new { Name = "remote", Deployments = new[] { new { Provider = "openai", BaseUrl = upstream.BaseUrl } } } },
        };
        await using var cluster = await AzuriteCluster.Configure(config).WithSilos(1).WithServiceId("disconnect-tests-" + Guid.NewGuid().ToString("N")[..12]).StartAsync();
        await using var api = await GatewayHost.StartAsync(config, cluster.ClientArgs);

        var delay = await HangUpMidStreamAsync(api.BaseUrl, "remote", upstream);

        output.WriteLine($"api as a client of a remote silo: upstream saw the close {delay.TotalMilliseconds:0} ms after the client hung up");
        Assert.True(delay < Limit, $"the upstream saw the close only after {delay.TotalMilliseconds:0} ms");
        Assert.Equal(1, upstream.ClosedEarlyCount);
    }

    /// <summary>
    /// Starts a streamed chat completion, reads up to its first event, then aborts the connection
    /// (a pending read cancelled, no draining); returns how long the upstream took to notice.
    /// </summary>
    private static async Task<TimeSpan> HangUpMidStreamAsync(string baseUrl, string model, FakeUpstream upstream)
    {
        var closed = Watch(upstream);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxResponseDrainSize = 0 });
        using var request = new HttpRequestMessage(HttpMethod.Post, baseUrl + "/v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"{{model}}","stream":true,"messages":[{"role":"user","content":"a long story please"}]}""", Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[4096];
        var received = new StringBuilder();
        while (!received.ToString().Contains("\n\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer);
            Assert.True(read > 0, "the stream ended before its first event");
            received.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        Assert.StartsWith("data: {", received.ToString(), StringComparison.Ordinal);
        using var hangUp = new CancellationTokenSource();
        var pending = stream.ReadAsync(buffer, hangUp.Token).AsTask();
        var hungUp = DateTimeOffset.UtcNow;
        await hangUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        var seen = await closed.WaitAsync(TimeSpan.FromSeconds(5));
        return seen - hungUp;
    }

    private static Task<DateTimeOffset> Watch(FakeUpstream upstream)
    {
        var closed = new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously);
        upstream.ClientDisconnected += at => closed.TrySetResult(at);
        return closed.Task;
    }
}
