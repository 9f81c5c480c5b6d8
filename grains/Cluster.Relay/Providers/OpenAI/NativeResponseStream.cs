using System.Text.Json;
using System.Text.Json.Nodes;
using Cluster.Grains.Errors;

namespace Cluster.Relay.Providers.OpenAI;

/// <summary>
/// A backend's <c>/responses</c> event stream read as chat completion chunks (see
/// <see cref="NativeResponses"/>): text, refusal and reasoning deltas become content, refusal and
/// <c>reasoning_content</c> deltas; a function call's item and argument deltas become
/// <c>tool_calls</c> deltas; <c>response.completed</c> / <c>response.incomplete</c> become the
/// chunk with the <c>finish_reason</c> and then the usage chunk; <c>response.failed</c> and
/// <c>error</c> end the stream as a backend failure. The other events carry nothing the answer
/// needs (the front-end writes its own item and part events, ids and sequence numbers).
/// </summary>
internal sealed class NativeResponseStream(string deploymentId)
{
    private readonly Dictionary<string, int> _callIndexByItem = new(StringComparer.Ordinal);
    private string _id = "";
    private string _model = "";
    private long _created;
    private bool _roleSent;
    private bool _sawReasoningText;

    /// <summary>The chat chunks one backend event stands for (often none).</summary>
    public List<byte[]> Add(byte[] data)
    {
        var e = JsonNode.Parse(data) as JsonObject ?? throw Failed("an event that is not a JSON object");
        var chunks = new List<byte[]>(2);
        switch (NativeResponses.StringOf(e["type"]))
        {
            case "response.created" or "response.in_progress":
                Remember(e["response"]);
                break;
            case "response.output_text.delta":
                chunks.Add(Chunk(new JsonObject { ["content"] = NativeResponses.StringOf(e["delta"]) ?? "" }));
                break;
            case "response.refusal.delta":
                chunks.Add(Chunk(new JsonObject { ["refusal"] = NativeResponses.StringOf(e["delta"]) ?? "" }));
                break;
            case "response.reasoning_text.delta":
                _sawReasoningText = true;
                chunks.Add(Chunk(new JsonObject { ["reasoning_content"] = NativeResponses.StringOf(e["delta"]) ?? "" }));
                break;
            case "response.reasoning_summary_text.delta" when !_sawReasoningText:
                chunks.Add(Chunk(new JsonObject { ["reasoning_content"] = NativeResponses.StringOf(e["delta"]) ?? "" }));
                break;
            case "response.output_item.added" when NativeResponses.StringOf(e["item"]?["type"]) == "function_call":
                var item = e["item"]!;
                var index = _callIndexByItem.Count;
                _callIndexByItem[NativeResponses.StringOf(item["id"]) ?? index.ToString(System.Globalization.CultureInfo.InvariantCulture)] = index;
                chunks.Add(Chunk(new JsonObject
                {
                    ["tool_calls"] = new JsonArray(new JsonObject
                    {
                        ["index"] = index,
                        ["id"] = NativeResponses.StringOf(item["call_id"]),
                        ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = NativeResponses.StringOf(item["name"]), ["arguments"] = NativeResponses.StringOf(item["arguments"]) ?? "" },
                    }),
                }));
                break;
            case "response.function_call_arguments.delta":
                if (NativeResponses.StringOf(e["item_id"]) is { } itemId && _callIndexByItem.TryGetValue(itemId, out var call))
                {
                    chunks.Add(Chunk(new JsonObject
                    {
                        ["tool_calls"] = new JsonArray(new JsonObject { ["index"] = call, ["function"] = new JsonObject { ["arguments"] = NativeResponses.StringOf(e["delta"]) ?? "" } }),
                    }));
                }

                break;
            case "response.completed" or "response.incomplete":
                var response = e["response"]!;
                Remember(response);
                chunks.Add(Chunk(new JsonObject(), NativeResponses.FinishReason(response, _callIndexByItem.Count > 0)));
                if (NativeResponses.Usage(response["usage"]) is { } usage)
                {
                    chunks.Add(JsonSerializer.SerializeToUtf8Bytes(Frame(new JsonArray(), usage)));
                }

                break;
            case "response.failed":
                throw Failed(NativeResponses.StringOf(e["response"]?["error"]?["message"]) ?? "response.failed");
            case "error":
                throw Failed(NativeResponses.StringOf(e["message"]) ?? NativeResponses.StringOf(e["error"]?["message"]) ?? "error");
        }

        return chunks;
    }

    private void Remember(JsonNode? response)
    {
        _id = NativeResponses.StringOf(response?["id"]) ?? _id;
        _model = NativeResponses.StringOf(response?["model"]) ?? _model;
        if (response?["created_at"] is JsonValue created && created.TryGetValue<long>(out var at))
        {
            _created = at;
        }
    }

    private byte[] Chunk(JsonObject delta, string? finishReason = null)
    {
        if (!_roleSent)
        {
            delta["role"] = "assistant";
            _roleSent = true;
        }

        var choice = new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finishReason };
        return JsonSerializer.SerializeToUtf8Bytes(Frame(new JsonArray(choice), null));
    }

    private JsonObject Frame(JsonArray choices, JsonObject? usage)
    {
        var chunk = new JsonObject
        {
            ["id"] = _id,
            ["object"] = "chat.completion.chunk",
            ["created"] = _created,
            ["model"] = _model,
            ["choices"] = choices,
        };
        if (usage is not null)
        {
            chunk["usage"] = usage;
        }

        return chunk;
    }

    private GatewayException Failed(string message) =>
        new(GatewayErrorCode.UpstreamFailed, $"The backend of deployment '{deploymentId}' failed the response ({message}).");
}
