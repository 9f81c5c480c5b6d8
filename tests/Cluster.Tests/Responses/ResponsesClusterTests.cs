using System.Net;
using System.Text.Json.Nodes;
using Cluster.Tests.Support;
using OpenAI.Responses;

#pragma warning disable OPENAI001 // The SDK marks its Responses client experimental.

namespace Cluster.Tests.Responses;

/// <summary>
/// The state of the Responses and Conversations APIs in a real cluster: two silos on Azure Table
/// storage (Azurite) and two front-ends as their clients. A chain or conversation continues on
/// the other front-end, after a silo is killed, and after the whole cluster restarts.
/// </summary>
[Collection(Name)]
public sealed class ResponsesClusterTests
{
    public const string Name = "responses-azurite";

    [Fact]
    public async Task Chain_AcrossFrontEndsSiloKillAndClusterRestart_ContinuesWithFullHistory()
    {
        await using var upstream = await FakeUpstream.StartAsync("resp-cluster-upstream");
        var config = ResponsesFixture.Configuration([upstream]);
        var serviceId = "responses-azurite-" + Guid.NewGuid().ToString("N")[..12];
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };
        var marker = GatewayFixture.NewMarker();
        var reply = ResponsesFixture.ReplyOf(upstream);
        string thirdId;
        string conversationId;
        var cluster = await AzuriteCluster.Configure(config).WithSilos(2).WithServiceId(serviceId).StartAsync();
        try
        {
            await using var frontA = await GatewayHost.StartAsync(config, cluster.ClientArgs);
            await using var frontB = await GatewayHost.StartAsync(config, cluster.ClientArgs);
            var a = ResponsesFixture.Client(frontA.BaseUrl, http, ResponsesFixture.KeyA);
            var b = ResponsesFixture.Client(frontB.BaseUrl, http, ResponsesFixture.KeyA);

            // Started on one front-end, continued on the other.
            var first = (await a.CreateResponseAsync(new CreateResponseOptions(ResponsesFixture.Model, [ResponseItem.CreateUserMessageItem(marker)]))).Value;
            var second = (await b.CreateResponseAsync(new CreateResponseOptions(ResponsesFixture.Model, [ResponseItem.CreateUserMessageItem("two")]) { PreviousResponseId = first.Id })).Value;
            Assert.Equal(Messages(marker, reply, "two"), LastMessages(upstream, marker));

            // A conversation made on one front-end, used on the other.
            var conversation = await SendAsync(http, HttpMethod.Post, frontA.BaseUrl + "/v1/conversations", """{"items":[{"role":"user","content":"MARKER conv"}]}""".Replace("MARKER", marker, StringComparison.Ordinal));
            conversationId = conversation.Json["id"]!.GetValue<string>();
            var inConversation = await SendAsync(http, HttpMethod.Post, frontB.BaseUrl + "/v1/responses", $$"""{"model":"{{ResponsesFixture.Model}}","input":"conv two","conversation":"{{conversationId}}"}""");
            Assert.Equal(HttpStatusCode.OK, inConversation.Status);

            // A silo dies without leaving: its grains come back on the other from storage.
            await cluster.StopSiloAsync(0, graceful: false);
            var third = (await a.CreateResponseAsync(new CreateResponseOptions(ResponsesFixture.Model, [ResponseItem.CreateUserMessageItem("three")]) { PreviousResponseId = second.Id })).Value;
            thirdId = third.Id;
            Assert.Equal(Messages(marker, reply, "two", reply, "three"), LastMessages(upstream, marker));

            // A chain front-end A holds in its cache loses a response through front-end B: A refuses it too.
            var x1 = (await a.CreateResponseAsync(new CreateResponseOptions(ResponsesFixture.Model, [ResponseItem.CreateUserMessageItem(GatewayFixture.NewMarker())]))).Value;
            var x2 = (await a.CreateResponseAsync(new CreateResponseOptions(ResponsesFixture.Model, [ResponseItem.CreateUserMessageItem("x2")]) { PreviousResponseId = x1.Id })).Value;
            var x3 = (await a.CreateResponseAsync(new CreateResponseOptions(ResponsesFixture.Model, [ResponseItem.CreateUserMessageItem("x3")]) { PreviousResponseId = x2.Id })).Value;
            Assert.True((await b.DeleteResponseAsync(x2.Id)).Value.Deleted);
            foreach (var front in new[] { frontA, frontB })
            {
                var refused = await SendAsync(http, HttpMethod.Post, front.BaseUrl + "/v1/responses", $$"""{"model":"{{ResponsesFixture.Model}}","input":"x4","previous_response_id":"{{x3.Id}}"}""");
                ErrorAssert.Matches(refused, HttpStatusCode.NotFound, "invalid_request_error", "not_found", "previous_response_id");
                Assert.Contains(x2.Id, refused.Json["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
            }
        }
        finally
        {
            await cluster.DisposeAsync();
        }

        // The whole cluster restarts (same ServiceId, so the same stored state).
        cluster = await AzuriteCluster.Configure(config).WithSilos(2).WithServiceId(serviceId).StartAsync();
        try
        {
            await using var front = await GatewayHost.StartAsync(config, cluster.ClientArgs);
            var client = ResponsesFixture.Client(front.BaseUrl, http, ResponsesFixture.KeyA);

            var fetched = (await client.GetResponseAsync(thirdId)).Value;
            Assert.Equal(reply, fetched.GetOutputText());
            await client.CreateResponseAsync(new CreateResponseOptions(ResponsesFixture.Model, [ResponseItem.CreateUserMessageItem("four")]) { PreviousResponseId = thirdId });
            Assert.Equal(Messages(marker, reply, "two", reply, "three", reply, "four"), LastMessages(upstream, marker));

            var items = await SendAsync(http, HttpMethod.Get, $"{front.BaseUrl}/v1/conversations/{conversationId}/items?order=asc", null);
            Assert.Equal(
                [marker + " conv", "conv two", reply],
                items.Json["data"]!.AsArray().Select(i => i!["content"]![0]!["text"]!.GetValue<string>()));

            // Another tenant sees none of it, after the restart as before.
            var other = await SendAsync(http, HttpMethod.Get, $"{front.BaseUrl}/v1/responses/{thirdId}", null, ResponsesFixture.KeyB);
            Assert.Equal(HttpStatusCode.NotFound, other.Status);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    /// <summary>The messages of the last request with <paramref name="marker"/> the upstream received.</summary>
    private static string LastMessages(FakeUpstream upstream, string marker) =>
        upstream.Requests.Last(r => r.ToJsonString().Contains(marker, StringComparison.Ordinal))["messages"]!.ToJsonString();

    /// <summary>Alternating user and assistant messages, starting with the user.</summary>
    private static string Messages(params string[] texts) =>
        new JsonArray([.. texts.Select((t, i) => (JsonNode)(i % 2 == 0 ? ResponsesTests.User(t) : ResponsesTests.Assistant(t)))]).ToJsonString();

    private static async Task<RawResponse> SendAsync(HttpClient http, HttpMethod method, string url, string? body, string? key = null)
    {
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key ?? ResponsesFixture.KeyA);
        if (body is not null)
        {
            request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request);
        return await RawResponse.ReadAsync(response);
    }
}
