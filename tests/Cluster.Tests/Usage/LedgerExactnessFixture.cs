using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Cluster.Grains.Usage;
using Cluster.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Tests.Usage;

/// <summary>
/// Runs one mixed load once, for the ledger tests to examine: a few hundred concurrent requests
/// through two front-ends and two silos (chat, completions and embeddings; streamed and not; a
/// sixth of the streams hung up by the client after their first content chunk), then waits until
/// the cut-short ones are in the ledger too. Streams are slow enough between chunks that a hang-up
/// always lands mid-stream.
/// </summary>
public sealed class LedgerExactnessFixture : IAsyncLifetime
{
    public const string AdminKey = "admin-ledger-secret";
    public const string ChatModel = "ledger-chat";
    public const string EmbeddingModel = "ledger-embed";
    public const int Requests = 300;
    public const int Chunks = 4;

    private static readonly string Run = Guid.NewGuid().ToString("N")[..8];

    public static string Tenant { get; } = $"ledger-{Run}";

    public static string[] Keys { get; } = [$"sk-ledger-1-{Run}", $"sk-ledger-2-{Run}"];

    public FakeUpstream Upstream { get; private set; } = null!;

    public AzuriteCluster Cluster { get; private set; } = null!;

    public GatewayHost[] FrontEnds { get; private set; } = [];

    public GatewayClient Client { get; } = new();

    public AdminApi Admin => new(Client, FrontEnds[1].BaseUrl, AdminKey);

    public IGrainFactory Grains => FrontEnds[0].Services.GetRequiredService<IGrainFactory>();

    /// <summary>Every request sent, as the client saw it.</summary>
    public IReadOnlyList<SentRequest> Sent { get; private set; } = [];

    /// <summary>The tenant's ledger once the load is over.</summary>
    public UsageRecord[] Ledger { get; private set; } = [];

    public async Task InitializeAsync()
    {
        Upstream = await FakeUpstream.StartAsync("ledger-upstream");
        Upstream.Chunks = Chunks;
        Upstream.ChunkInterval = TimeSpan.FromMilliseconds(500);
        var deployment = new { Provider = "openai", Upstream.BaseUrl };
        var config = new
        {
            Auth = new { Mode = "Keys", AdminKey },
            Models = new object[]
            {
                new { Name = ChatModel, Price = new { InputPerMTok = 1.5, OutputPerMTok = 4.0 }, Deployments = new[] { deployment } },
                new { Name = EmbeddingModel, Price = new { InputPerMTok = 0.1, OutputPerMTok = 0.0 }, Deployments = new[] { deployment } },
            },
            Tenants = new object[] { new { Id = Tenant, Keys } },
        };
        Cluster = await AzuriteCluster.Configure(config).StartAsync();
        FrontEnds = [await Cluster.StartFrontEndAsync(), await Cluster.StartFrontEndAsync()];

        var sent = await Task.WhenAll(Enumerable.Range(0, Requests).Select(SendAsync));
        Sent = sent;

        // The client's last byte comes after the upstream counted a finished response, and the
        // cut-short ones are recorded once the gateway saw the hang-up: wait for both, briefly.
        var completed = sent.Count(r => !r.Cancelled);
        var ids = sent.Select(r => r.RequestId).ToHashSet();
        Ledger = await Eventually.ValueAsync(
            () => LedgerPages.ReadAsync(Grains, Tenant),
            ledger => Upstream.CompletedCount == completed && ids.IsSubsetOf(ledger.Select(r => r.RequestId)),
            $"the upstream to count {completed} finished responses and the ledger to hold all {ids.Count} requests",
            TimeSpan.FromSeconds(20),
            TimeSpan.FromMilliseconds(100));
    }

    private Task<SentRequest> SendAsync(int i)
    {
        var frontEnd = FrontEnds[i % 2].BaseUrl;
        var key = Keys[(i / 2) % 2];
        var prompt = $"Request {i}: say something about the number {i * 7}.";
        return (i % 6) switch
        {
            0 => CompleteAsync(frontEnd, key, "chat.completions", "/v1/chat/completions", Chat(prompt, stream: false)),
            1 => StreamAsync(frontEnd, key, "chat.completions", "/v1/chat/completions", Chat(prompt, stream: true), hangUp: false),
            2 => CompleteAsync(frontEnd, key, "completions", "/v1/completions", Text(prompt, stream: false)),
            3 => StreamAsync(frontEnd, key, "completions", "/v1/completions", Text(prompt, stream: true), hangUp: false),
            4 => CompleteAsync(frontEnd, key, "embeddings", "/v1/embeddings", new JsonObject { ["model"] = EmbeddingModel, ["input"] = i % 12 == 4 ? prompt : new JsonArray(prompt, "and more") }),
            _ => i % 12 == 5
                ? StreamAsync(frontEnd, key, "chat.completions", "/v1/chat/completions", Chat(prompt, stream: true), hangUp: true)
                : StreamAsync(frontEnd, key, "completions", "/v1/completions", Text(prompt, stream: true), hangUp: true),
        };
    }

    private static JsonObject Chat(string prompt, bool stream)
    {
        var body = new JsonObject
        {
            ["model"] = ChatModel,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompt }),
            ["stream"] = stream,
        };
        return body;
    }

    private static JsonObject Text(string prompt, bool stream)
    {
        var body = new JsonObject { ["model"] = ChatModel, ["prompt"] = prompt, ["stream"] = stream };
        if (stream)
        {
            body["stream_options"] = new JsonObject { ["include_usage"] = true };
        }

        return body;
    }

    private async Task<SentRequest> CompleteAsync(string frontEnd, string key, string endpoint, string path, JsonObject body)
    {
        var response = await Client.SendAsync(HttpMethod.Post, frontEnd + path, key, body);
        if (response.Status != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"{endpoint} answered {(int)response.Status}: {response.Body}");
        }

        return new SentRequest(response.Header("x-request-id")!, endpoint, Streamed: false, Cancelled: false, "");
    }

    /// <summary>Reads a stream to its <c>[DONE]</c>, or hangs up right after its first content chunk.</summary>
    private async Task<SentRequest> StreamAsync(string frontEnd, string key, string endpoint, string path, JsonObject body, bool hangUp)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, frontEnd + path)
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        var response = await Client.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        try
        {
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"{endpoint} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }

            var id = response.Headers.GetValues("x-request-id").Single();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            var received = new StringBuilder();
            while (await reader.ReadLineAsync() is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    continue;
                }

                if (line == "data: [DONE]")
                {
                    if (hangUp)
                    {
                        throw new InvalidOperationException($"Request {id} ended before the client could hang up mid-stream.");
                    }

                    return new SentRequest(id, endpoint, Streamed: true, Cancelled: false, received.ToString());
                }

                var choice = JsonNode.Parse(line[6..])!["choices"]?.AsArray().FirstOrDefault();
                var text = choice?["delta"]?["content"]?.GetValue<string>() ?? choice?["text"]?.GetValue<string>() ?? "";
                received.Append(text);
                if (hangUp && text.Length > 0)
                {
                    return new SentRequest(id, endpoint, Streamed: true, Cancelled: true, received.ToString());
                }
            }

            throw new InvalidOperationException($"Request {id} ended without [DONE].");
        }
        finally
        {
            // Mid-stream this closes the connection: the gateway sees the client hang up.
            response.Dispose();
        }
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Upstream.DisposeAsync();
        Client.Dispose();
    }
}
