using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cluster.Api.Responses;

/// <summary>
/// A Responses turn as a chat-completions request, for backends that speak only chat (all the
/// built-in providers). The context items (the chain or the conversation so far) and this turn's
/// input become <c>messages</c>:
/// <list type="bullet">
/// <item><c>instructions</c> → a first <c>system</c> message (this turn's only: never carried over);</item>
/// <item>message items → messages (<c>developer</c> as <c>system</c>; <c>input_text</c> → text parts,
/// <c>input_image</c> → <c>image_url</c> parts; assistant content as its text);</item>
/// <item><c>function_call</c> → <c>tool_calls</c> on an assistant message (consecutive calls, and the
/// text before them, share one message); <c>function_call_output</c> → a <c>tool</c> message;</item>
/// <item><c>reasoning</c> → <c>reasoning_content</c> of the next assistant message.</item>
/// </list>
/// Parameters: function <c>tools</c>, <c>tool_choice</c>, <c>parallel_tool_calls</c>,
/// <c>text.format</c> → <c>response_format</c>, <c>text.verbosity</c> → <c>verbosity</c>,
/// <c>max_output_tokens</c> → <c>max_tokens</c>, <c>temperature</c>, <c>top_p</c>, <c>user</c>,
/// <c>reasoning.effort</c> → <c>reasoning_effort</c>; a backend's own extension fields as they came.
/// <c>metadata</c> stays with the stored response; the backend does not see it.
/// </summary>
internal static class ChatTranslation
{
    public static byte[] ChatBody(ResponseRequest request, IReadOnlyList<JsonObject> context)
    {
        var body = request.Body;
        var chat = new JsonObject
        {
            ["model"] = request.Model,
            ["messages"] = Messages(request.Instructions, [.. context, .. request.InputItems]),
        };

        if (request.Stream)
        {
            chat["stream"] = true;
            chat["stream_options"] = new JsonObject { ["include_usage"] = true };
        }

        if (request.Tools.Count > 0)
        {
            chat["tools"] = new JsonArray([.. request.Tools.Select(t => (JsonNode)ChatTool(t!.AsObject()))]);
            Copy(body, "parallel_tool_calls", chat, "parallel_tool_calls");
        }

        if (body["tool_choice"] is { } choice)
        {
            chat["tool_choice"] = choice.GetValueKind() == JsonValueKind.String
                ? choice.DeepClone()
                : new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = choice["name"]!.DeepClone() } };
        }

        if (body["text"]?["format"] is JsonObject format)
        {
            switch (format["type"]!.GetValue<string>())
            {
                case "json_object":
                    chat["response_format"] = new JsonObject { ["type"] = "json_object" };
                    break;
                case "json_schema":
                    var schema = new JsonObject { ["name"] = format["name"]!.DeepClone(), ["schema"] = format["schema"]!.DeepClone() };
                    CopyIfSet(format, "description", schema);
                    CopyIfSet(format, "strict", schema);
                    chat["response_format"] = new JsonObject { ["type"] = "json_schema", ["json_schema"] = schema };
                    break;
            }
        }

        Copy(body["text"] as JsonObject, "verbosity", chat, "verbosity");
        Copy(body, "max_output_tokens", chat, "max_tokens");
        Copy(body, "temperature", chat, "temperature");
        Copy(body, "top_p", chat, "top_p");
        Copy(body, "user", chat, "user");
        Copy(body["reasoning"] as JsonObject, "effort", chat, "reasoning_effort");
        foreach (var (name, value) in request.Extensions)
        {
            chat[name] = value?.DeepClone();
        }

        return ResponsesJson.Bytes(chat);
    }

    /// <summary>The items, in order, as chat messages.</summary>
    public static JsonArray Messages(string? instructions, IEnumerable<JsonObject> items)
    {
        var messages = new JsonArray();
        if (instructions is not null)
        {
            messages.Add(new JsonObject { ["role"] = "system", ["content"] = instructions });
        }

        // The message function calls attach to: the assistant message just before them, if nothing came between.
        JsonObject? assistant = null;
        string? reasoning = null;
        foreach (var item in items)
        {
            switch (item["type"]!.GetValue<string>())
            {
                case "message":
                    var role = item["role"]!.GetValue<string>();
                    if (role == "assistant")
                    {
                        assistant = new JsonObject { ["role"] = "assistant", ["content"] = ResponseItems.TextOf(item["content"]) };
                        Attach(assistant, ref reasoning);
                        messages.Add(assistant);
                        continue;
                    }

                    messages.Add(new JsonObject
                    {
                        ["role"] = role == "developer" ? "system" : role,
                        ["content"] = role == "user" ? UserContent(item["content"]!.AsArray()) : ResponseItems.TextOf(item["content"]),
                    });
                    break;
                case "function_call":
                    if (assistant is null)
                    {
                        assistant = new JsonObject { ["role"] = "assistant", ["content"] = null };
                        Attach(assistant, ref reasoning);
                        messages.Add(assistant);
                    }

                    var calls = assistant["tool_calls"] as JsonArray ?? (JsonArray)(assistant["tool_calls"] = new JsonArray());
                    calls.Add(new JsonObject
                    {
                        ["id"] = item["call_id"]!.DeepClone(),
                        ["type"] = "function",
                        ["function"] = new JsonObject { ["name"] = item["name"]!.DeepClone(), ["arguments"] = item["arguments"]!.DeepClone() },
                    });
                    continue;
                case "function_call_output":
                    var output = item["output"]!;
                    messages.Add(new JsonObject
                    {
                        ["role"] = "tool",
                        ["tool_call_id"] = item["call_id"]!.DeepClone(),
                        ["content"] = output.GetValueKind() == JsonValueKind.String ? output.GetValue<string>() : ResponseItems.TextOf(output),
                    });
                    break;
                case "reasoning":
                    var text = ResponseItems.TextOf(item["content"]);
                    reasoning = reasoning is null ? text : reasoning + text;
                    continue;
            }

            assistant = null;
        }

        return messages;
    }

    private static void Attach(JsonObject assistant, ref string? reasoning)
    {
        if (!string.IsNullOrEmpty(reasoning))
        {
            assistant["reasoning_content"] = reasoning;
        }

        reasoning = null;
    }

    /// <summary>A user message's parts: plain text when it is all text, else text and image parts.</summary>
    private static JsonNode UserContent(JsonArray parts)
    {
        if (parts.All(p => p!["type"]!.GetValue<string>() == "input_text"))
        {
            return ResponseItems.TextOf(parts);
        }

        var content = new JsonArray();
        foreach (var part in parts)
        {
            if (part!["type"]!.GetValue<string>() == "input_image")
            {
                var image = new JsonObject { ["url"] = part["image_url"]!.DeepClone() };
                if (part["detail"]?.GetValue<string>() is { } detail && detail != "auto")
                {
                    image["detail"] = detail;
                }

                content.Add(new JsonObject { ["type"] = "image_url", ["image_url"] = image });
            }
            else
            {
                content.Add(new JsonObject { ["type"] = "text", ["text"] = part["text"]!.DeepClone() });
            }
        }

        return content;
    }

    private static JsonObject ChatTool(JsonObject tool)
    {
        var function = new JsonObject { ["name"] = tool["name"]!.DeepClone() };
        CopyIfSet(tool, "description", function);
        CopyIfSet(tool, "parameters", function);
        CopyIfSet(tool, "strict", function);
        return new JsonObject { ["type"] = "function", ["function"] = function };
    }

    private static void Copy(JsonObject? from, string name, JsonObject to, string asName)
    {
        if (from?[name] is { } value)
        {
            to[asName] = value.DeepClone();
        }
    }

    private static void CopyIfSet(JsonObject from, string name, JsonObject to) => Copy(from, name, to, name);
}
