using System.Text.Json;
using System.Text.Json.Nodes;
using Cluster.Grains.Errors;

namespace Cluster.Api.Responses;

/// <summary>
/// Input items in the form the cluster stores and lists them: every item has a <c>type</c>, an
/// <c>id</c> and a <c>status</c>; a message's content is a list of parts (a plain string becomes
/// one <c>input_text</c>, or <c>output_text</c> for the assistant). Item types that have no
/// chat-completions equivalent are refused with a 400 naming the type.
/// </summary>
internal static class ResponseItems
{
    /// <summary>The items of an <c>input</c> (a string or a list of items), each given an id.</summary>
    public static List<JsonObject> FromInput(JsonNode input, string param)
    {
        if (input.GetValueKind() == JsonValueKind.String)
        {
            return [Message("user", new JsonArray(InputText(input.GetValue<string>())))];
        }

        if (input is not JsonArray array)
        {
            throw GatewayException.BadRequest($"'{param}' must be a string or an array of items.", param);
        }

        var items = new List<JsonObject>(array.Count);
        for (var i = 0; i < array.Count; i++)
        {
            items.Add(Normalize(array[i], $"{param}[{i}]"));
        }

        return items;
    }

    /// <summary>One item, checked and completed with an id and a status.</summary>
    public static JsonObject Normalize(JsonNode? node, string param)
    {
        if (node is not JsonObject source)
        {
            throw GatewayException.BadRequest($"'{param}' must be an object.", param);
        }

        var item = source.DeepClone().AsObject();
        var type = item["type"]?.GetValueKind() == JsonValueKind.String ? item["type"]!.GetValue<string>() : item.ContainsKey("role") ? "message" : null;
        switch (type)
        {
            case "message":
                return NormalizeMessage(item, param);
            case "function_call":
                Require(item, "call_id", param);
                Require(item, "name", param);
                Require(item, "arguments", param);
                return Complete(item, ResponseIds.FunctionCall);
            case "function_call_output":
                Require(item, "call_id", param);
                if (item["output"] is not JsonValue and not JsonArray)
                {
                    throw GatewayException.BadRequest($"'{param}.output' must be a string or an array of content parts.", param + ".output");
                }

                return Complete(item, ResponseIds.FunctionCallOutput);
            case "reasoning":
                item["summary"] ??= new JsonArray();
                return Complete(item, ResponseIds.Reasoning);
            case null:
                throw GatewayException.BadRequest($"'{param}' has no 'type'.", param);
            default:
                throw GatewayException.BadRequest(
                    $"'{param}': input items of type '{type}' are not supported by this gateway's Responses API (supported: message, function_call, function_call_output, reasoning).", param + ".type");
        }
    }

    /// <summary>The text of a message's content parts (text, output text and refusals), joined.</summary>
    public static string TextOf(JsonNode? content)
    {
        if (content?.GetValueKind() == JsonValueKind.String)
        {
            return content.GetValue<string>();
        }

        var text = new System.Text.StringBuilder();
        foreach (var part in content as JsonArray ?? [])
        {
            if (part?["text"] is { } value && value.GetValueKind() == JsonValueKind.String)
            {
                text.Append(value.GetValue<string>());
            }
            else if (part?["refusal"] is { } refusal && refusal.GetValueKind() == JsonValueKind.String)
            {
                text.Append(refusal.GetValue<string>());
            }
        }

        return text.ToString();
    }

    public static JsonObject InputText(string text) => new() { ["type"] = "input_text", ["text"] = text };

    public static JsonObject OutputText(string text) => new()
    {
        ["type"] = "output_text",
        ["text"] = text,
        ["annotations"] = new JsonArray(),
        ["logprobs"] = new JsonArray(),
    };

    public static JsonObject Message(string role, JsonArray content) => new()
    {
        ["type"] = "message",
        ["id"] = ResponseIds.New(ResponseIds.Message),
        ["status"] = "completed",
        ["role"] = role,
        ["content"] = content,
    };

    private static JsonObject NormalizeMessage(JsonObject item, string param)
    {
        var role = item["role"]?.GetValueKind() == JsonValueKind.String ? item["role"]!.GetValue<string>() : null;
        if (role is not ("user" or "system" or "developer" or "assistant"))
        {
            throw GatewayException.BadRequest($"'{param}.role' must be one of user, system, developer, assistant.", param + ".role");
        }

        item["type"] = "message";
        var content = item["content"];
        if (content?.GetValueKind() == JsonValueKind.String)
        {
            var text = content.GetValue<string>();
            item["content"] = new JsonArray(role == "assistant" ? OutputText(text) : InputText(text));
        }
        else if (content is JsonArray parts)
        {
            for (var i = 0; i < parts.Count; i++)
            {
                CheckPart(parts[i], role, $"{param}.content[{i}]");
            }
        }
        else
        {
            throw GatewayException.BadRequest($"'{param}.content' must be a string or an array of content parts.", param + ".content");
        }

        return Complete(item, ResponseIds.Message);
    }

    private static void CheckPart(JsonNode? node, string role, string param)
    {
        if (node is not JsonObject part || part["type"]?.GetValueKind() != JsonValueKind.String)
        {
            throw GatewayException.BadRequest($"'{param}' must be a content part with a 'type'.", param);
        }

        switch (part["type"]!.GetValue<string>())
        {
            case "input_text" or "output_text":
                Require(part, "text", param);
                if (part["type"]!.GetValue<string>() == "output_text")
                {
                    part["annotations"] ??= new JsonArray();
                    part["logprobs"] ??= new JsonArray();
                }

                break;
            case "refusal" when role == "assistant":
                Require(part, "refusal", param);
                break;
            case "input_image" when role != "assistant":
                if (part["image_url"]?.GetValueKind() != JsonValueKind.String)
                {
                    throw GatewayException.BadRequest(
                        $"'{param}.image_url' is required: images by 'file_id' are not supported by this gateway (it has no file store).", param + ".image_url");
                }

                part["detail"] ??= "auto";
                break;
            case var other:
                throw GatewayException.BadRequest(
                    $"Content parts of type '{other}' are not supported in {role} messages by this gateway's Responses API (supported: input_text, input_image, output_text, refusal).", param + ".type");
        }
    }

    private static void Require(JsonObject item, string field, string param)
    {
        if (item[field]?.GetValueKind() != JsonValueKind.String)
        {
            throw GatewayException.BadRequest($"'{param}.{field}' must be a string.", $"{param}.{field}");
        }
    }

    /// <summary>Gives the item an id (keeping the client's, if it sent one) and a status.</summary>
    private static JsonObject Complete(JsonObject item, string prefix)
    {
        if (item["id"]?.GetValueKind() != JsonValueKind.String)
        {
            item["id"] = ResponseIds.New(prefix);
        }

        item["status"] ??= "completed";
        return item;
    }
}
