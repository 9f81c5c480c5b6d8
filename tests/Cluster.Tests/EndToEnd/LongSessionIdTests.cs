using System.Net;
using System.Text.Json.Nodes;
using Cluster.Grains.Sessions;
using Cluster.Tests.Support;

namespace Cluster.Tests.EndToEnd;

/// <summary>
/// Client-supplied session ids of any length become bounded storage keys: on Azure Table (Azurite),
/// a 10 KB <c>x-session-id</c> and a 10 KB <c>user</c> are served, keep their session on one
/// deployment turn after turn, and reach the usage ledger and the session's totals.
/// </summary>
public sealed class LongSessionIdTests : IDisposable
{
    private const string AdminKey = "admin-long-sessions";
    private const string Model = "pinned";
    private const int Turns = 6;
    private readonly GatewayClient _client = new();

    [Theory]
    [InlineData("x-session-id")]
    [InlineData("user")]
    public async Task Chat_TenKilobyteSessionId_ServedPinnedAndRecorded(string carrier)
    {
        await AzuriteCluster.RequireAzuriteAsync();
        await using var first = await FakeUpstream.StartAsync("long-session-a");
        await using var second = await FakeUpstream.StartAsync("long-session-b");
        var config = new
        {
            Auth = new { AdminKey },
            Models = new object[]
            {
                new
                {
                    Name = Model,
                    Deployments = new object[] { new { Provider = "openai", first.BaseUrl }, new { Provider = "openai", second.BaseUrl } },
                },
            },
        };
        await using var cluster = await AzuriteCluster.Configure(config).WithSilos(1).WithServiceId("long-sessions-" + Guid.NewGuid().ToString("N")[..12]).StartAsync();
        await using var api = await GatewayHost.StartAsync(config, cluster.ClientArgs);
        var session = Guid.NewGuid().ToString("N") + "/#?\\" + new string('s', 10 * 1024);

        var deployments = new List<string?>();
        for (var turn = 0; turn < Turns; turn++)
        {
            var response = await SendTurnAsync(api.BaseUrl, carrier, session, turn);
            Assert.True(response.Status == HttpStatusCode.OK, response.Body);
            deployments.Add(response.Header("x-session-deployment"));
        }

        Assert.NotNull(deployments[0]);
        Assert.All(deployments, d => Assert.Equal(deployments[0], d));
        Assert.Equal(Turns, first.RequestCount + second.RequestCount);
        Assert.True(first.RequestCount == Turns || second.RequestCount == Turns, "The session moved between deployments.");

        var admin = new AdminApi(_client, api.BaseUrl, AdminKey);
        var usage = await Eventually.ValueAsync(
            () => admin.UsageAsync("default"), u => u["totals"]!["requests"]!.GetValue<long>() >= Turns, "the ledger to hold every turn", TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));

        Assert.Equal(Turns, usage["totals"]!["requests"]!.GetValue<long>());
        Assert.True(usage["totals"]!["total_tokens"]!.GetValue<long>() > 0);

        // The admin API finds the session by its bounded id (the long one would not fit in a URL).
        var bounded = ISessionGrain.BoundedId(session);
        Assert.True(bounded.Length <= 80, bounded);
        var info = await _client.SendAsync(HttpMethod.Get, $"{api.BaseUrl}/admin/sessions/{bounded}", AdminKey);
        Assert.Equal(HttpStatusCode.OK, info.Status);
        Assert.Equal(deployments[0], info.Json["pins"]![Model]!.GetValue<string>());
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("line\nbreak")]
    [InlineData("caf\u00e9")]
    public void BoundedId_UnsafeOrLongId_IsAShortStableHash(string id)
    {
        var ids = new[] { id, id + new string('x', 100_000) };

        foreach (var each in ids)
        {
            var bounded = ISessionGrain.BoundedId(each);
            Assert.Matches("^sha256-[0-9a-f]{32}$", bounded);
            Assert.Equal(bounded, ISessionGrain.BoundedId(each));
            Assert.Equal(bounded, ISessionGrain.BoundedId(bounded));
        }

        Assert.NotEqual(ISessionGrain.BoundedId(ids[0]), ISessionGrain.BoundedId(ids[1]));
    }

    [Theory]
    [InlineData("conversation-42")]
    [InlineData("user@example.com")]
    public void BoundedId_ShortSafeId_IsKeptAsItIs(string id) => Assert.Equal(id, ISessionGrain.BoundedId(id));

    public void Dispose() => _client.Dispose();

    private async Task<GatewayResponse> SendTurnAsync(string baseUrl, string carrier, string session, int turn)
    {
        var body = new JsonObject
        {
            ["model"] = Model,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = $"turn {turn}" }),
        };
        if (carrier == "user")
        {
            body["user"] = session;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, baseUrl + "/v1/chat/completions")
        {
            Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json"),
        };
        if (carrier == "x-session-id")
        {
            request.Headers.TryAddWithoutValidation("x-session-id", session);
        }

        using var response = await _client.Http.SendAsync(request);
        return new GatewayResponse(response.StatusCode, response.Headers, await response.Content.ReadAsStringAsync());
    }
}
