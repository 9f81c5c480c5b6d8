using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Cluster.Tests.Support;
using OpenAI.Responses;

#pragma warning disable OPENAI001 // The SDK marks its Responses client experimental.

namespace Cluster.Tests.Responses;

/// <summary>
/// One gateway (api with a co-hosted silo) in <c>Keys</c> mode for the Responses and Conversations
/// tests: two tenants, and a model served by two fake upstreams (two deployments, so a chain's
/// affinity and its failover show) that call tools when offered them. Tests find their own
/// requests at the upstreams by a marker they send.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ResponsesFixture : IAsyncLifetime, ICollectionFixture<ResponsesFixture>
{
    public const string Name = "responses";
    public const string Model = "resp-model";
    public const string AdminKey = "responses-admin";

    /// <summary>A model whose one deployment speaks <c>/responses</c> natively (<see cref="NativeUpstream"/>).</summary>
    public const string NativeModel = "resp-native";

    private static readonly string Run = Guid.NewGuid().ToString("N")[..8];

    public static string TenantA { get; } = $"resp-a-{Run}";

    public static string KeyA { get; } = $"sk-resp-a-{Run}";

    public static string TenantB { get; } = $"resp-b-{Run}";

    public static string KeyB { get; } = $"sk-resp-b-{Run}";

    public FakeUpstream[] Upstreams { get; private set; } = [];

    public FakeResponsesUpstream NativeUpstream { get; private set; } = null!;

    public GatewayHost Gateway { get; private set; } = null!;

    public string BaseUrl => Gateway.BaseUrl;

    public HttpClient Http { get; } = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(60) };

    public async Task InitializeAsync()
    {
        Upstreams = await Task.WhenAll(FakeUpstream.StartAsync("resp-upstream-a"), FakeUpstream.StartAsync("resp-upstream-b"));
        foreach (var upstream in Upstreams)
        {
            upstream.CallTools = true;
        }

        NativeUpstream = await FakeResponsesUpstream.StartAsync();
        Gateway = await GatewayHost.StartAsync(Configuration(Upstreams, NativeUpstream.BaseUrl), "--Routing:FailureThreshold", "10000");
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Gateway.DisposeAsync();
        foreach (var upstream in Upstreams)
        {
            await upstream.DisposeAsync();
        }

        await NativeUpstream.DisposeAsync();
    }

    public static object Configuration(IReadOnlyList<FakeUpstream> upstreams, string? nativeBaseUrl = null) => new
    {
        Auth = new { Mode = "Keys", AdminKey },
        Models = new object[]
        {
            new { Name = Model, Deployments = upstreams.Select(u => new { Id = u.Name, Provider = "openai", u.BaseUrl }).ToArray() },
            new { Name = "echo", Deployments = new[] { new { Provider = "echo" } } },
            new { Name = NativeModel, Deployments = new[] { new { Id = "native", Provider = "openai", BaseUrl = nativeBaseUrl ?? "http://127.0.0.1:9/v1", Api = "responses", UpstreamModel = "native-upstream-model" } } },
        },
        Tenants = new object[]
        {
            new { Id = TenantA, Keys = new[] { KeyA }, Models = new[] { "*" } },
            new { Id = TenantB, Keys = new[] { KeyB }, Models = new[] { "*" } },
        },
    };

    /// <summary>The SDK's Responses client for a tenant's key, retries off so statuses show.</summary>
    public ResponsesClient Client(string? key = null, bool v1 = true) => Client(BaseUrl, Http, key ?? KeyA, v1);

    public static ResponsesClient Client(string baseUrl, HttpClient http, string key, bool v1 = true) => new(
        new ApiKeyCredential(key),
        new ResponsesClientOptions
        {
            Endpoint = new Uri(baseUrl + (v1 ? "/v1" : "")),
            Transport = new HttpClientPipelineTransport(http),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        });

    /// <summary>Sends <paramref name="body"/> (JSON text, or none) as tenant A (or <paramref name="key"/>) and reads the whole answer.</summary>
    public async Task<RawResponse> SendAsync(HttpMethod method, string path, string? body = null, string? key = null)
    {
        using var request = new HttpRequestMessage(method, BaseUrl + path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key ?? KeyA);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await Http.SendAsync(request);
        return await RawResponse.ReadAsync(response);
    }

    public Task<RawResponse> PostAsync(string path, JsonNode body, string? key = null) => SendAsync(HttpMethod.Post, path, body.ToJsonString(), key);

    /// <summary>The upstream requests that contain <paramref name="marker"/>, from either upstream, with who received each.</summary>
    public List<(FakeUpstream Upstream, JsonObject Body)> ReceivedWith(string marker) =>
        [.. Upstreams.SelectMany(u => u.Requests.Where(r => r.ToJsonString().Contains(marker, StringComparison.Ordinal)).Select(r => (u, r)))];

    /// <summary>The text each upstream answers with.</summary>
    public static string ReplyOf(FakeUpstream upstream) => string.Concat(Enumerable.Range(0, upstream.Chunks).Select(i => $"{upstream.Name} part{i} "));
}
