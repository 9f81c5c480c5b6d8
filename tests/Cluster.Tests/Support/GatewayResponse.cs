using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Cluster.Tests.Support;

/// <summary>A gateway response read to its end.</summary>
public sealed record GatewayResponse(HttpStatusCode Status, HttpResponseHeaders Headers, string Body)
{
    public string? Header(string name) => Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    public JsonNode Json => JsonNode.Parse(Body) ?? throw new InvalidOperationException("The body is empty.");

    /// <summary>The OpenAI error code, when the body is an error.</summary>
    public string? ErrorCode => Status == HttpStatusCode.OK ? null : Json["error"]?["code"]?.GetValue<string>();

    public string? ErrorMessage => Status == HttpStatusCode.OK ? null : Json["error"]?["message"]?.GetValue<string>();
}
