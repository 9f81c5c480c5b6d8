using System.Net;
using Cluster.Tests.Support;

namespace Cluster.Tests.EndToEnd;

/// <summary>
/// Finding 7 of issue 14: once the probe after a cooldown succeeds, the deployment is back at
/// once; the requests right after it are served, not refused with 503 until the next status sync.
/// </summary>
public sealed class BreakerRecoveryTests : IDisposable
{
    private const string Model = "flappy";
    private readonly GatewayClient _client = new();

    [Fact]
    public async Task Chat_AfterASuccessfulProbe_NextRequestsAreServed()
    {
        await using var upstream = await FakeUpstream.StartAsync("flappy-upstream");
        var config = new
        {
            Models = new object[] { new { Name = Model, Deployments = new object[] { new { Provider = "openai", upstream.BaseUrl } } } },
        };

        // A sync period far longer than the test's requests: without the fix they all fall in the gap.
        await using var gateway = await GatewayHost.StartAsync(
            config,
            "--Routing:FailureThreshold", "1",
            "--Routing:CooldownSeconds", "1",
            "--Routing:StatusSyncMilliseconds", "3000",
            "--Routing:MaxAttempts", "1");

        upstream.FailWithStatus = 500;
        await Eventually.UntilAsync(async () => (await _client.ChatAsync(gateway.BaseUrl, null, Model)).ErrorCode == "no_healthy_deployment", "the circuit to open", TimeSpan.FromSeconds(30));
        upstream.FailWithStatus = null;

        // The first answer after the cooldown is the probe's.
        await Eventually.UntilAsync(async () => (await _client.ChatAsync(gateway.BaseUrl, null, Model)).Status == HttpStatusCode.OK, "the deployment to serve again", TimeSpan.FromSeconds(30));
        var after = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            var response = await _client.ChatAsync(gateway.BaseUrl, null, Model);
            after.Add(response.Status == HttpStatusCode.OK ? "ok" : $"{(int)response.Status} {response.ErrorCode}");
        }

        Assert.All(after, a => Assert.Equal("ok", a));
    }

    public void Dispose() => _client.Dispose();
}
