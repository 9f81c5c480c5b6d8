using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cluster.Api.Responses;

/// <summary>
/// What a backend answered to a translated turn, gathered from a chat completion or from its
/// stream chunks, and given back as Responses output items: a <c>reasoning</c> item (from
/// <c>reasoning_content</c>, when the backend gives one), a <c>message</c> item (text or refusal)
/// and one <c>function_call</c> item per tool call, in that order.
/// </summary>
internal sealed class ChatOutput
{
    private readonly StringBuilder _reasoning = new();
    private readonly StringBuilder _text = new();
    private readonly StringBuilder _refusal = new();
    private readonly SortedDictionary<int, ToolCall> _calls = [];

    public string ReasoningId { get; } = ResponseIds.New(ResponseIds.Reasoning);

    public string MessageId { get; } = ResponseIds.New(ResponseIds.Message);

    public string? FinishReason { get; private set; }

    /// <summary>The model name the backend's answer carried (the gateway has already put the client's name in).</summary>
    public string? Model { get; private set; }

    public bool HasReasoning => _reasoning.Length > 0;

    public bool HasMessage => _text.Length > 0 || _refusal.Length > 0;

    public string Text => _text.ToString();

    public string Reasoning => _reasoning.ToString();

    public IReadOnlyCollection<ToolCall> Calls => _calls.Values;

    /// <summary>A non-streamed chat completion's first choice.</summary>
    public static ChatOutput FromCompletion(byte[] completion)
    {
        var output = new ChatOutput();
        var root = JsonNode.Parse(completion)!;
        output.Model = StringOf(root["model"]);
        var choice = FirstChoice(root);
        var message = choice?["message"];
        output.FinishReason = StringOf(choice?["finish_reason"]);
        output._reasoning.Append(StringOf(message?["reasoning_content"]) ?? StringOf(message?["reasoning"]));
        output._text.Append(StringOf(message?["content"]));
        output._refusal.Append(StringOf(message?["refusal"]));
        var index = 0;
        foreach (var call in message?["tool_calls"] as JsonArray ?? [])
        {
            var tool = new ToolCall(ResponseIds.New(ResponseIds.FunctionCall), StringOf(call?["id"]) ?? ResponseIds.New("call_"));
            tool.Name = StringOf(call?["function"]?["name"]) ?? "";
            tool.Arguments.Append(StringOf(call?["function"]?["arguments"]));
            output._calls[index++] = tool;
        }

        return output;
    }

    /// <summary>Adds one stream chunk's first choice; returns what it added, for the stream's events.</summary>
    public ChunkDelta Add(JsonNode chunk)
    {
        Model ??= StringOf(chunk["model"]);
        var choice = FirstChoice(chunk);
        if (choice is null)
        {
            return default;
        }

        var delta = choice["delta"];
        var reasoning = StringOf(delta?["reasoning_content"]) ?? StringOf(delta?["reasoning"]);
        var text = StringOf(delta?["content"]);
        var refusal = StringOf(delta?["refusal"]);
        _reasoning.Append(reasoning);
        _text.Append(text);
        _refusal.Append(refusal);
        List<(ToolCall Call, bool IsNew, string? Arguments)>? calls = null;
        foreach (var call in delta?["tool_calls"] as JsonArray ?? [])
        {
            var index = call?["index"]?.GetValueKind() == JsonValueKind.Number ? call["index"]!.GetValue<int>() : _calls.Count;
            var isNew = !_calls.TryGetValue(index, out var tool);
            if (tool is null)
            {
                tool = new ToolCall(ResponseIds.New(ResponseIds.FunctionCall), StringOf(call?["id"]) ?? ResponseIds.New("call_"));
                _calls[index] = tool;
            }

            tool.Name += StringOf(call?["function"]?["name"]) ?? "";
            var arguments = StringOf(call?["function"]?["arguments"]);
            tool.Arguments.Append(arguments);
            (calls ??= []).Add((tool, isNew, arguments));
        }

        FinishReason = StringOf(choice["finish_reason"]) ?? FinishReason;
        return new ChunkDelta(string.IsNullOrEmpty(reasoning) ? null : reasoning, string.IsNullOrEmpty(text) ? null : text, string.IsNullOrEmpty(refusal) ? null : refusal, calls);
    }

    /// <summary>The output items, each with <paramref name="status"/>.</summary>
    public JsonArray Items(string status)
    {
        var items = new JsonArray();
        if (HasReasoning)
        {
            items.Add(ReasoningItem(status));
        }

        if (HasMessage)
        {
            items.Add(MessageItem(status));
        }

        foreach (var call in _calls.Values)
        {
            items.Add(call.Item(status));
        }

        return items;
    }

    public JsonObject ReasoningItem(string status) => new()
    {
        ["type"] = "reasoning",
        ["id"] = ReasoningId,
        ["summary"] = new JsonArray(),
        ["content"] = status == "in_progress" ? new JsonArray() : new JsonArray(new JsonObject { ["type"] = "reasoning_text", ["text"] = Reasoning }),
        ["status"] = status,
    };

    public JsonObject MessageItem(string status)
    {
        var content = new JsonArray();
        if (status != "in_progress")
        {
            if (_text.Length > 0)
            {
                content.Add(ResponseItems.OutputText(Text));
            }

            if (_refusal.Length > 0)
            {
                content.Add(new JsonObject { ["type"] = "refusal", ["refusal"] = _refusal.ToString() });
            }
        }

        return new JsonObject
        {
            ["type"] = "message",
            ["id"] = MessageId,
            ["status"] = status,
            ["role"] = "assistant",
            ["content"] = content,
        };
    }

    /// <summary>The first choice; null for a chunk without choices (the usage chunk at a stream's end).</summary>
    private static JsonNode? FirstChoice(JsonNode root) => root["choices"] is JsonArray { Count: > 0 } choices ? choices[0] : null;

    private static string? StringOf(JsonNode? node) => node?.GetValueKind() == JsonValueKind.String ? node.GetValue<string>() : null;

    /// <summary>One tool call of the answer, as a <c>function_call</c> item.</summary>
    internal sealed class ToolCall(string itemId, string callId)
    {
        public string ItemId { get; } = itemId;

        public string CallId { get; } = callId;

        public string Name { get; set; } = "";

        public StringBuilder Arguments { get; } = new();

        public JsonObject Item(string status) => new()
        {
            ["type"] = "function_call",
            ["id"] = ItemId,
            ["call_id"] = CallId,
            ["name"] = Name,
            ["arguments"] = status == "in_progress" ? "" : Arguments.ToString(),
            ["status"] = status,
        };
    }

    /// <summary>What one stream chunk added.</summary>
    internal readonly record struct ChunkDelta(string? Reasoning, string? Text, string? Refusal, List<(ToolCall Call, bool IsNew, string? Arguments)>? Calls);
}
