using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cluster.Relay.Providers.OpenAI;

/// <summary>
/// A Responses turn sent to a backend that speaks <c>POST /responses</c> natively
/// (<see cref="DeploymentApis.Responses"/>), and its answer read back as a chat completion, so the
/// relay (usage, limits, the ledger, model names) and the front-end's Responses output (our ids,
/// our item order, our <c>sequence_number</c>s, what is stored) are the same whatever the backend
/// spoke. The backend's items become: <c>message</c> → the text (and refusal), <c>function_call</c>
/// → <c>tool_calls</c>, <c>reasoning</c> (its text, or else its summary) → <c>reasoning_content</c>;
/// its <c>usage</c> (<c>input_tokens</c>, <c>output_tokens</c>, cached and reasoning tokens) → the
/// chat usage fields; <c>status</c> and <c>incomplete_details</c> → <c>finish_reason</c>.
/// </summary>
internal static class NativeResponses
{
    /// <summary>The body: the turn's Responses body (built by the front-end) with the backend's model name.</summary>
    public static byte[] Body(JsonObject turn, string upstreamModel)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("model", upstreamModel);
            foreach (var (name, value) in turn)
            {
                if (name == "model")
                {
                    continue;
                }

                writer.WritePropertyName(name);
                if (value is null)
                {
                    writer.WriteNullValue();
                }
                else
                {
                    value.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>A non-streamed <c>/responses</c> answer as a chat completion.</summary>
    public static byte[] ToChatCompletion(byte[] body)
    {
        var response = JsonNode.Parse(body) as JsonObject ?? throw new JsonException("The backend's response is not a JSON object.");
        var message = new JsonObject { ["role"] = "assistant" };
        var text = new StringBuilder();
        var refusal = new StringBuilder();
        var reasoning = new StringBuilder();
        var calls = new JsonArray();
        foreach (var item in response["output"] as JsonArray ?? [])
        {
            switch (StringOf(item?["type"]))
            {
                case "message":
                    foreach (var part in item!["content"] as JsonArray ?? [])
                    {
                        switch (StringOf(part?["type"]))
                        {
                            case "output_text":
                                text.Append(StringOf(part!["text"]));
                                break;
                            case "refusal":
                                refusal.Append(StringOf(part!["refusal"]));
                                break;
                        }
                    }

                    break;
                case "function_call":
                    calls.Add(new JsonObject
                    {
                        ["id"] = StringOf(item!["call_id"]),
                        ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = StringOf(item["name"]), ["arguments"] = StringOf(item["arguments"]) ?? "" },
                    });
                    break;
                case "reasoning":
                    reasoning.Append(ReasoningText(item!.AsObject()));
                    break;
            }
        }

        message["content"] = text.Length > 0 || (refusal.Length == 0 && calls.Count == 0) ? text.ToString() : null;
        if (refusal.Length > 0)
        {
            message["refusal"] = refusal.ToString();
        }

        if (calls.Count > 0)
        {
            message["tool_calls"] = calls;
        }

        if (reasoning.Length > 0)
        {
            message["reasoning_content"] = reasoning.ToString();
        }

        var completion = new JsonObject
        {
            ["id"] = StringOf(response["id"]) ?? "",
            ["object"] = "chat.completion",
            ["created"] = response["created_at"]?.DeepClone() ?? 0,
            ["model"] = StringOf(response["model"]) ?? "",
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = message,
                ["finish_reason"] = FinishReason(response, calls.Count > 0),
            }),
        };
        if (Usage(response["usage"]) is { } usage)
        {
            completion["usage"] = usage;
        }

        return JsonSerializer.SerializeToUtf8Bytes(completion);
    }

    /// <summary>The text of a reasoning item: its <c>reasoning_text</c> content, or else its summary.</summary>
    internal static string ReasoningText(JsonObject item)
    {
        var text = new StringBuilder();
        foreach (var part in item["content"] as JsonArray ?? [])
        {
            text.Append(StringOf(part?["text"]));
        }

        if (text.Length == 0)
        {
            foreach (var part in item["summary"] as JsonArray ?? [])
            {
                text.Append(StringOf(part?["text"]));
            }
        }

        return text.ToString();
    }

    /// <summary>The chat <c>finish_reason</c> of a finished response object.</summary>
    internal static string FinishReason(JsonNode response, bool calledTools) =>
        StringOf(response["status"]) == "incomplete"
            ? StringOf(response["incomplete_details"]?["reason"]) == "content_filter" ? "content_filter" : "length"
            : calledTools ? "tool_calls" : "stop";

    /// <summary>Responses usage as chat usage; null when the backend gave none.</summary>
    internal static JsonObject? Usage(JsonNode? usage)
    {
        if (usage is not JsonObject u || u["input_tokens"] is null || u["output_tokens"] is null)
        {
            return null;
        }

        var input = u["input_tokens"]!.GetValue<long>();
        var output = u["output_tokens"]!.GetValue<long>();
        var chat = new JsonObject
        {
            ["prompt_tokens"] = input,
            ["completion_tokens"] = output,
            ["total_tokens"] = u["total_tokens"]?.GetValue<long>() ?? input + output,
        };
        if (u["input_tokens_details"]?["cached_tokens"] is { } cached)
        {
            chat["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = cached.GetValue<long>() };
        }

        if (u["output_tokens_details"]?["reasoning_tokens"] is { } reasoning)
        {
            chat["completion_tokens_details"] = new JsonObject { ["reasoning_tokens"] = reasoning.GetValue<long>() };
        }

        return chat;
    }

    internal static string? StringOf(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
