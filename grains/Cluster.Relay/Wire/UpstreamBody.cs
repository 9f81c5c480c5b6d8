using System.Text.Json;
using System.Text.Json.Nodes;
using Cluster.Grains.Completions;

namespace Cluster.Relay.Wire;

/// <summary>
/// Builds the body sent upstream from the client's bytes: the model name is spliced in place and,
/// for streams, <c>stream_options.include_usage</c> is asked for so that usage is always known.
/// Everything else is forwarded byte for byte.
/// </summary>
internal static class UpstreamBody
{
    private static readonly byte[] UsageOption = """
        "stream_options":{"include_usage":true},
        """u8.ToArray();

    public static byte[] Build(CompletionRequest request, string upstreamModel)
    {
        var body = request.Body;
        var model = JsonNames.Encode(upstreamModel);
        if (request.Stream && request.StreamUsage == StreamUsageOption.Excluded)
        {
            return Reserialize(body, upstreamModel);
        }

        var insertUsage = request.Stream && request.StreamUsage == StreamUsageOption.Absent;
        var span = request.ModelToken;
        var objectStart = insertUsage ? body.AsSpan().IndexOf((byte)'{') + 1 : 0;
        var extra = insertUsage ? UsageOption.Length : 0;
        var result = new byte[body.Length - span.Length + model.Length + extra];
        var written = 0;

        // The object's opening brace always comes before the model token.
        if (insertUsage)
        {
            body.AsSpan(0, objectStart).CopyTo(result);
            UsageOption.CopyTo(result.AsSpan(objectStart));
            written = objectStart + UsageOption.Length;
        }

        body.AsSpan(objectStart, span.Start - objectStart).CopyTo(result.AsSpan(written));
        written += span.Start - objectStart;
        model.CopyTo(result.AsSpan(written));
        written += model.Length;
        body.AsSpan(span.Start + span.Length).CopyTo(result.AsSpan(written));
        return result;
    }

    // Rare: the client sent stream_options without include_usage. Rewriting through a DOM keeps
    // the client's other stream options and is simpler than splicing inside a nested object.
    private static byte[] Reserialize(byte[] body, string upstreamModel)
    {
        var node = JsonNode.Parse(body)!.AsObject();
        node["model"] = upstreamModel;
        if (node["stream_options"] is JsonObject options)
        {
            options["include_usage"] = true;
        }
        else
        {
            node["stream_options"] = new JsonObject { ["include_usage"] = true };
        }

        return JsonSerializer.SerializeToUtf8Bytes(node);
    }
}
