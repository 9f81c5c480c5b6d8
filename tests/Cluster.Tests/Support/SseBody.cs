using System.Text.Json.Nodes;
using Xunit.Sdk;

namespace Cluster.Tests.Support;

/// <summary>Splits a streamed body into its events, failing unless it is framed exactly as OpenAI frames it.</summary>
public static class SseBody
{
    private const string Prefix = "data: ";
    private const string Done = "data: [DONE]";

    /// <summary>
    /// The JSON of each event of <paramref name="body"/>, which must be <c>data: {json}\n\n</c>
    /// repeated, then <c>data: [DONE]\n\n</c> and nothing after it.
    /// </summary>
    public static IReadOnlyList<string> Events(string body)
    {
        if (!body.EndsWith("\n\n", StringComparison.Ordinal))
        {
            throw new XunitException($"The stream does not end with a blank line:\n{body}");
        }

        var events = body[..^2].Split("\n\n");
        if (events[^1] != Done)
        {
            throw new XunitException($"The stream does not end with '{Done}':\n{body}");
        }

        var result = new List<string>(events.Length - 1);
        foreach (var item in events[..^1])
        {
            if (!item.StartsWith(Prefix, StringComparison.Ordinal) || item.Contains('\n') || item.Contains('\r') || item == Done)
            {
                throw new XunitException($"Not a single-line 'data: ' event: '{item}' in:\n{body}");
            }

            result.Add(item[Prefix.Length..]);
        }

        return result;
    }

    public static IReadOnlyList<JsonObject> Chunks(string body) =>
        [.. Events(body).Select(e => JsonNode.Parse(e)!.AsObject())];

    /// <summary>Chunks that carry a usage object (not <c>"usage": null</c>).</summary>
    public static IReadOnlyList<JsonObject> UsageChunks(string body) =>
        [.. Chunks(body).Where(c => c["usage"] is JsonObject)];
}
