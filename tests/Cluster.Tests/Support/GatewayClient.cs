using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Cluster.Tests.Support;

/// <summary>
/// Raw HTTP calls to a gateway, for load and for what an SDK hides (headers, error bodies, the
/// admin API): many connections at once, no retries, every response read to its end.
/// </summary>
public sealed class GatewayClient : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = 2048,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),

        // A response disposed before its end closes the connection at once, as a client that
        // hangs up does; by default the handler first drains it for up to 2 s to reuse it.
        MaxResponseDrainSize = 0,
    })
    {
        Timeout = TimeSpan.FromSeconds(60),
    };

    public HttpClient Http => _http;

    /// <summary>A non-streamed chat completion with one short user message.</summary>
    public Task<GatewayResponse> ChatAsync(string baseUrl, string? key, string model, int? maxTokens = null, string content = "hi", CancellationToken cancellationToken = default)
    {
        var body = new JsonObject
        {
            ["model"] = model,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = content }),
        };
        if (maxTokens is { } max)
        {
            body["max_tokens"] = max;
        }

        return SendAsync(HttpMethod.Post, baseUrl + "/v1/chat/completions", key, body, cancellationToken);
    }

    public async Task<GatewayResponse> SendAsync(HttpMethod method, string url, string? key, JsonNode? body = null, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(method, url);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var response = await _http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return new GatewayResponse(response.StatusCode, response.Headers, text);
    }

    public void Dispose() => _http.Dispose();
}
