using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;
using OpenAI.Models;

namespace Cluster.Tests.Support;

/// <summary>
/// One gateway (api with a co-hosted silo) in front of fake upstreams, shared by the end-to-end
/// test classes of the <c>gateway</c> collection. xunit runs the tests of one collection one at a
/// time, so they may look at what the upstream received; they find their own request by a marker
/// they put in it rather than by counting, so the order of tests does not matter.
/// </summary>
[CollectionDefinition(Name)]
public sealed class GatewayFixture : IAsyncLifetime, ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";

    /// <summary>Served by <see cref="Upstream"/>; answers as <see cref="UpstreamModel"/> there.</summary>
    public const string FakeModel = "fake";
    public const string FakeAlias = "fake-alias";
    public const string FakeOwner = "tests";
    public const string UpstreamModel = "upstream-fake-model";

    /// <summary>The built-in echo provider.</summary>
    public const string EchoModel = "echo";

    /// <summary>An alias of <see cref="EchoModel"/> shaped like a Hugging Face model id.</summary>
    public const string SlashedAlias = "org/echo-model";

    /// <summary>The built-in local embedding model (all-MiniLM-L6-v2, 384 dimensions).</summary>
    public const string MiniLmModel = "minilm";
    public const int MiniLmDimensions = 384;

    /// <summary>An openai deployment on a loopback port nobody listens on.</summary>
    public const string BrokenModel = "broken";

    /// <summary>Served by <see cref="RejectingUpstream"/>, which answers every request with 400.</summary>
    public const string RejectingModel = "rejecting";

    /// <summary>Served by <see cref="FailingUpstream"/>, which answers every request with 500.</summary>
    public const string FailingModel = "failing";

    private static readonly ApiKeyCredential AnyKey = new("anything");

    public FakeUpstream Upstream { get; private set; } = null!;

    public FakeUpstream RejectingUpstream { get; private set; } = null!;

    public FakeUpstream FailingUpstream { get; private set; } = null!;

    public GatewayHost Gateway { get; private set; } = null!;

    /// <summary>The gateway's root URL, without <c>/v1</c>.</summary>
    public string BaseUrl => Gateway.BaseUrl;

    /// <summary>A plain HTTP client for exact bodies, headers and chunks.</summary>
    public HttpClient Http { get; } = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

    public async Task InitializeAsync()
    {
        var upstreams = await Task.WhenAll(
            FakeUpstream.StartAsync("upstream-a"),
            FakeUpstream.StartAsync("upstream-rejecting"),
            FakeUpstream.StartAsync("upstream-failing"));
        (Upstream, RejectingUpstream, FailingUpstream) = (upstreams[0], upstreams[1], upstreams[2]);
        RejectingUpstream.FailWithStatus = 400;
        FailingUpstream.FailWithStatus = 500;
        Gateway = await GatewayHost.StartAsync(Configuration(
            Upstream.BaseUrl,
            $"http://127.0.0.1:{FreePorts.Next().ToString(CultureInfo.InvariantCulture)}/v1",
            RejectingUpstream.BaseUrl,
            FailingUpstream.BaseUrl),

            // Several tests hit the failing deployments on purpose; an open circuit (503) would make
            // each one's answer depend on how many ran before it. (10000: the most Routing:FailureThreshold allows.)
            "--Routing:FailureThreshold", "10000");
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Gateway.DisposeAsync();
        await Upstream.DisposeAsync();
        await RejectingUpstream.DisposeAsync();
        await FailingUpstream.DisposeAsync();
    }

    /// <summary>A gateway configuration with only the echo model, for tests that start their own gateway.</summary>
    public static object EchoOnlyConfiguration() => new
    {
        Models = new object[] { new { Name = EchoModel, Deployments = new[] { new { Provider = "echo" } } } },
    };

    public OpenAIClientOptions ClientOptions(bool v1 = true) => new()
    {
        Endpoint = new Uri(BaseUrl + (v1 ? "/v1" : "")),
        Transport = new HttpClientPipelineTransport(Http),

        // Errors are asserted as they come; a retried 502 would only slow the run down.
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    };

    public ChatClient Chat(string model, bool v1 = true) => new(model, AnyKey, ClientOptions(v1));

    public EmbeddingClient Embeddings(string model, bool v1 = true) => new(model, AnyKey, ClientOptions(v1));

    public OpenAIModelClient Models(bool v1 = true) => new(AnyKey, ClientOptions(v1));

    /// <summary>POSTs <paramref name="json"/> as is and reads the whole answer.</summary>
    public async Task<RawResponse> PostAsync(string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await Http.PostAsync(BaseUrl + path, content);
        return await RawResponse.ReadAsync(response);
    }

    public async Task<RawResponse> GetAsync(string path)
    {
        using var response = await Http.GetAsync(BaseUrl + path);
        return await RawResponse.ReadAsync(response);
    }

    /// <summary>The text <see cref="Upstream"/> answers every chat or text completion with (streamed or not).</summary>
    public string UpstreamReply => string.Concat(Enumerable.Range(0, Upstream.Chunks).Select(i => $"{Upstream.Name} part{i} "));

    /// <summary>The completion tokens <see cref="Upstream"/> reports for one answer.</summary>
    public int UpstreamCompletionTokens => Upstream.Chunks * FakeUpstream.CompletionTokensPerChunk;

    /// <summary>The one request <see cref="Upstream"/> received that contains <paramref name="marker"/>.</summary>
    public JsonObject UpstreamRequestWith(string marker) => ReceivedWith(Upstream, marker);

    public static JsonObject ReceivedWith(FakeUpstream upstream, string marker) =>
        Assert.Single(upstream.Requests, r => r.ToJsonString().Contains(marker, StringComparison.Ordinal));

    /// <summary>A string no other request contains, to find this test's request at the upstream.</summary>
    public static string NewMarker() => "marker-" + Guid.NewGuid().ToString("N");

    private static object Configuration(string upstream, string closedPort, string rejecting, string failing) => new
    {
        Models = new object[]
        {
            new
            {
                Name = FakeModel,
                Aliases = new[] { FakeAlias },
                OwnedBy = FakeOwner,
                Deployments = new[] { new { Provider = "openai", BaseUrl = upstream, UpstreamModel } },
            },
            new { Name = EchoModel, Aliases = new[] { SlashedAlias }, Deployments = new[] { new { Provider = "echo" } } },
            new { Name = MiniLmModel, Deployments = new[] { new { Provider = "local-embeddings" } } },
            new { Name = BrokenModel, Deployments = new[] { new { Provider = "openai", BaseUrl = closedPort, ConnectTimeoutSeconds = 5.0 } } },
            new { Name = RejectingModel, Deployments = new[] { new { Provider = "openai", BaseUrl = rejecting } } },
            new { Name = FailingModel, Deployments = new[] { new { Provider = "openai", BaseUrl = failing } } },
        },
    };
}
