using System.Net;
using System.Text.Json.Nodes;

namespace Cluster.Tests.Support;

/// <summary>An HTTP response read to the end: status, headers and the body exactly as sent.</summary>
public sealed record RawResponse(HttpStatusCode Status, string? ContentType, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public JsonObject Json => JsonNode.Parse(Body)!.AsObject();

    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    public static async Task<RawResponse> ReadAsync(HttpResponseMessage response)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            headers[name] = string.Join(",", values);
        }

        var body = await response.Content.ReadAsStringAsync();
        return new RawResponse(response.StatusCode, response.Content.Headers.ContentType?.MediaType, headers, body);
    }
}
