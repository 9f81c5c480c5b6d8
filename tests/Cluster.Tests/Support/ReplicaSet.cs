using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Cluster.Grains.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;

namespace Cluster.Tests.Support;

/// <summary>
/// Replicas of one backend (fake upstreams named <c>replica-0</c>, <c>replica-1</c>, …, each saying
/// who it is in <c>system_fingerprint</c> and in its text) behind one model of a real gateway, for
/// the routing, session and failover tests. Deployment <c>i</c> of <see cref="Model"/> has the id
/// <c>{Model}-{i}</c> and is served by <see cref="Replicas"/>[i].
/// </summary>
public sealed class ReplicaSet : IAsyncDisposable
{
    public const string Model = "replicated";
    public const string AdminKey = "replica-set-admin-key";

    private static readonly ApiKeyCredential AnyKey = new("anything");
    private readonly FakeUpstream[] _replicas;
    private readonly bool[] _killed;

    private ReplicaSet(FakeUpstream[] replicas, GatewayHost gateway)
    {
        _replicas = replicas;
        _killed = new bool[replicas.Length];
        Gateway = gateway;
    }

    /// <summary>The replicas by deployment index; a killed replica stays in its slot (it no longer listens).</summary>
    public IReadOnlyList<FakeUpstream> Replicas => _replicas;

    public GatewayHost Gateway { get; }

    /// <summary>A plain client for exact headers and bodies; generous connection limits for load.</summary>
    public HttpClient Http { get; } = new(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 1024 }) { Timeout = TimeSpan.FromSeconds(60) };

    /// <summary>The grain factory of the gateway's co-hosted silo: the status grains are looked at through it.</summary>
    public IGrainFactory Grains => Gateway.Services.GetRequiredService<IGrainFactory>();

    /// <summary>
    /// Starts <paramref name="count"/> replicas and a gateway whose model <see cref="Model"/> has one
    /// deployment per replica. <paramref name="routing"/> is the model's <c>Routing</c> (null: none, the default strategy);
    /// <paramref name="routingSection"/> the gateway's <c>Routing</c> section;
    /// <paramref name="deployment"/> may add keys to deployment <c>i</c> (timeouts, weight);
    /// <paramref name="extraModels"/> are further entries of <c>Models</c>.
    /// </summary>
    public static async Task<ReplicaSet> StartAsync(
        int count,
        string? routing = "least-inflight",
        object? routingSection = null,
        Action<int, JsonObject>? deployment = null,
        IEnumerable<JsonObject>? extraModels = null,
        JsonArray? fallbacks = null)
    {
        var replicas = await Task.WhenAll(Enumerable.Range(0, count).Select(i => FakeUpstream.StartAsync($"replica-{i}")));
        try
        {
            var deployments = new JsonArray();
            for (var i = 0; i < count; i++)
            {
                var entry = new JsonObject { ["Provider"] = "openai", ["BaseUrl"] = replicas[i].BaseUrl };
                deployment?.Invoke(i, entry);
                deployments.Add(entry);
            }

            var models = new JsonArray
            {
                new JsonObject { ["Name"] = Model, ["Routing"] = routing, ["Fallbacks"] = fallbacks ?? [], ["Deployments"] = deployments },
            };
            foreach (var extra in extraModels ?? [])
            {
                models.Add(extra);
            }

            var config = new JsonObject
            {
                ["Auth"] = new JsonObject { ["AdminKey"] = AdminKey },
                ["Models"] = models,
                ["Routing"] = routingSection is null ? new JsonObject() : System.Text.Json.JsonSerializer.SerializeToNode(routingSection),
            };
            var gateway = await GatewayHost.StartAsync(config);
            return new ReplicaSet(replicas, gateway);
        }
        catch
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }

            throw;
        }
    }

    public static string DeploymentId(int index) => $"{Model}-{index}";

    /// <summary>The replica index of a deployment id or a replica name (<c>replica-i</c>).</summary>
    public static int IndexOf(string deploymentOrReplica) => int.Parse(deploymentOrReplica[(deploymentOrReplica.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Stops replica <paramref name="index"/> for good: its port refuses connections from now on.</summary>
    public async Task KillAsync(int index)
    {
        if (_killed[index])
        {
            throw new InvalidOperationException($"Replica {index} was already killed.");
        }

        _killed[index] = true;
        await _replicas[index].DisposeAsync();
    }

    public Task<DeploymentStatus> StatusAsync(int index) =>
        Grains.GetGrain<IDeploymentStatusGrain>(DeploymentId(index)).GetAsync();

    /// <summary>An OpenAI SDK client on the gateway, without the SDK's own retries (errors are to be seen, not hidden).</summary>
    public ChatClient Chat(string model = Model) => new(model, AnyKey, new OpenAIClientOptions
    {
        Endpoint = new Uri(Gateway.BaseUrl + "/v1"),
        Transport = new HttpClientPipelineTransport(Http),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    });

    /// <summary>POSTs a chat completion for <paramref name="body"/> (model and a message added when missing), with optional headers.</summary>
    public async Task<HttpResponseMessage> PostChatAsync(JsonObject? body = null, IEnumerable<KeyValuePair<string, string>>? headers = null, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead, CancellationToken cancellationToken = default)
    {
        body ??= [];
        body["model"] ??= Model;
        body["messages"] ??= new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "hello" });
        using var request = new HttpRequestMessage(HttpMethod.Post, Gateway.BaseUrl + "/v1/chat/completions")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return await Http.SendAsync(request, completion, cancellationToken);
    }

    /// <summary>GETs an admin path with the admin key and parses the JSON answer.</summary>
    public async Task<JsonObject> AdminGetAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Gateway.BaseUrl + path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Gateway.DisposeAsync();
        for (var i = 0; i < _replicas.Length; i++)
        {
            if (!_killed[i])
            {
                await _replicas[i].DisposeAsync();
            }
        }
    }
}
