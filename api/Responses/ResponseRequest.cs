using System.Text.Json;
using System.Text.Json.Nodes;
using Cluster.Grains.Errors;

namespace Cluster.Api.Responses;

/// <summary>
/// A <c>POST /responses</c> body, read and checked. Fields of OpenAI's <c>CreateResponse</c> that
/// this gateway cannot honour on a chat-completions backend are refused with a 400 naming them,
/// never dropped; fields OpenAI does not define (a backend's own extensions) pass through to the
/// backend's body unread, as on the other endpoints.
/// </summary>
internal sealed class ResponseRequest
{
    /// <summary>Every field of <c>CreateResponse</c> in the vendored spec: these are read here, not forwarded.</summary>
    private static readonly HashSet<string> SpecFields =
    [
        "metadata", "top_logprobs", "temperature", "top_p", "user", "safety_identifier", "prompt_cache_key",
        "prompt_cache_retention", "prompt_cache_options", "previous_response_id", "model", "background",
        "max_tool_calls", "text", "tools", "tool_choice", "prompt", "service_tier", "truncation", "reasoning",
        "input", "include", "parallel_tool_calls", "store", "instructions", "moderation", "stream",
        "stream_options", "conversation", "context_management", "max_output_tokens",
    ];

    private ResponseRequest(JsonObject body, string model)
    {
        Body = body;
        Model = model;
    }

    /// <summary>The body as the client sent it.</summary>
    public JsonObject Body { get; }

    public string Model { get; }

    public bool Stream { get; private set; }

    /// <summary><c>store</c>: true unless the client said false.</summary>
    public bool Store { get; private set; } = true;

    public string? PreviousResponseId { get; private set; }

    public string? ConversationId { get; private set; }

    public string? Instructions { get; private set; }

    /// <summary>This turn's input as items, each with an id (see <see cref="ResponseItems"/>).</summary>
    public List<JsonObject> InputItems { get; private set; } = [];

    /// <summary>The function tools in the Responses shape, as the response object echoes them.</summary>
    public JsonArray Tools { get; } = [];

    public int? MaxOutputTokens { get; private set; }

    /// <summary>Fields OpenAI does not define, forwarded to the backend as they came.</summary>
    public List<KeyValuePair<string, JsonNode?>> Extensions { get; } = [];

    public static ResponseRequest Parse(byte[] body)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(body) as JsonObject ?? throw GatewayException.BadRequest("The request body must be a JSON object.", null);
        }
        catch (JsonException ex)
        {
            throw GatewayException.BadRequest($"We could not parse the JSON body of your request (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine}). The body must be valid JSON.", null);
        }

        if (root["model"] is not JsonValue modelValue || modelValue.GetValueKind() != JsonValueKind.String || modelValue.GetValue<string>().Length == 0)
        {
            throw GatewayException.BadRequest("You must provide a model parameter.", "model");
        }

        var request = new ResponseRequest(root, modelValue.GetValue<string>());
        var unsupported = new List<string>();
        foreach (var (name, value) in root)
        {
            if (!SpecFields.Contains(name))
            {
                request.Extensions.Add(new(name, value?.DeepClone()));
                continue;
            }

            if (!request.Read(name, value))
            {
                unsupported.Add(name);
            }
        }

        if (unsupported.Count > 0)
        {
            throw GatewayException.BadRequest(
                $"Not supported by this gateway's Responses API (its backends speak chat completions): {string.Join(", ", unsupported.Select(u => $"'{u}'"))}. Remove {(unsupported.Count == 1 ? "it" : "them")} or use its default.",
                unsupported[0]);
        }

        if (request.PreviousResponseId is not null && request.ConversationId is not null)
        {
            throw GatewayException.BadRequest("'previous_response_id' and 'conversation' cannot be used together.", "previous_response_id");
        }

        return request;
    }

    /// <summary>Reads one spec field; false when its value asks for something not supported.</summary>
    private bool Read(string name, JsonNode? value)
    {
        if (value is null)
        {
            // null is every field's default.
            return true;
        }

        switch (name)
        {
            case "model":
                return true;
            case "input":
                InputItems = ResponseItems.FromInput(value, "input");
                return true;
            case "instructions":
                if (value.GetValueKind() != JsonValueKind.String)
                {
                    // A list of items as instructions is not translated (yet); say so.
                    return false;
                }

                Instructions = value.GetValue<string>();
                return true;
            case "stream":
                Stream = Bool(value, name);
                return true;
            case "store":
                Store = Bool(value, name);
                return true;
            case "background":
                return !Bool(value, name);
            case "parallel_tool_calls":
                Bool(value, name);
                return true;
            case "previous_response_id":
                PreviousResponseId = String(value, name);
                return true;
            case "conversation":
                ConversationId = value is JsonObject conversation ? String(conversation["id"], "conversation.id") : String(value, name);
                return true;
            case "temperature":
                Number(value, name, 0, 2);
                return true;
            case "top_p":
                Number(value, name, 0, 1);
                return true;
            case "max_output_tokens":
                MaxOutputTokens = (int)Number(value, name, 1, int.MaxValue);
                return true;
            case "max_tool_calls":
                // Limits built-in tool calls; this gateway has no built-in tools, so there is nothing to limit.
                Number(value, name, 0, int.MaxValue);
                return true;
            case "top_logprobs":
                return Number(value, name, 0, 20) == 0;
            case "user" or "safety_identifier" or "prompt_cache_key":
                String(value, name);
                return true;
            case "metadata":
                CheckMetadata(value, name);
                return true;
            case "truncation":
                return String(value, name) == "disabled";
            case "service_tier":
                return String(value, name) is "auto" or "default";
            case "include":
                return value is JsonArray { Count: 0 };
            case "stream_options":
                // include_obfuscation pads deltas against side channels; there is no padding to turn off here.
                return value is JsonObject options && options.All(p => p.Key == "include_obfuscation");
            case "reasoning":
                return value is JsonObject reasoning && reasoning.All(p => p.Key is "effort" or "summary" or "generate_summary");
            case "text":
                return ReadText(value);
            case "tools":
                return ReadTools(value);
            case "tool_choice":
                return ReadToolChoice(value);
            default:
                // prompt, prompt_cache_retention, prompt_cache_options, moderation, context_management.
                return false;
        }
    }

    private static bool ReadText(JsonNode value)
    {
        if (value is not JsonObject text)
        {
            throw GatewayException.BadRequest("'text' must be an object.", "text");
        }

        foreach (var (key, field) in text)
        {
            if (key == "verbosity" || field is null)
            {
                continue;
            }

            if (key != "format" || field is not JsonObject format || format["type"]?.GetValueKind() != JsonValueKind.String)
            {
                return false;
            }

            switch (format["type"]!.GetValue<string>())
            {
                case "text" or "json_object":
                    break;
                case "json_schema":
                    String(format["name"], "text.format.name");
                    if (format["schema"] is not JsonObject)
                    {
                        throw GatewayException.BadRequest("'text.format.schema' must be a JSON Schema object.", "text.format.schema");
                    }

                    break;
                default:
                    return false;
            }
        }

        return true;
    }

    private bool ReadTools(JsonNode value)
    {
        if (value is not JsonArray tools)
        {
            throw GatewayException.BadRequest("'tools' must be an array.", "tools");
        }

        foreach (var node in tools)
        {
            if (node is not JsonObject tool || tool["type"]?.GetValueKind() != JsonValueKind.String)
            {
                throw GatewayException.BadRequest("Each tool must be an object with a 'type'.", "tools");
            }

            var type = tool["type"]!.GetValue<string>();
            if (type != "function")
            {
                throw GatewayException.BadRequest(
                    $"Tools of type '{type}' are not supported by this gateway's Responses API (only 'function': its backends run no built-in tools).", "tools");
            }

            var name = String(tool["name"], "tools.name");
            Tools.Add(new JsonObject
            {
                ["type"] = "function",
                ["name"] = name,
                ["description"] = tool["description"]?.DeepClone(),
                ["parameters"] = tool["parameters"]?.DeepClone(),
                ["strict"] = tool["strict"]?.DeepClone(),
            });
        }

        return true;
    }

    private static bool ReadToolChoice(JsonNode value)
    {
        if (value.GetValueKind() == JsonValueKind.String)
        {
            return value.GetValue<string>() is "auto" or "none" or "required";
        }

        return value is JsonObject choice && choice["type"]?.ToString() == "function" && choice["name"]?.GetValueKind() == JsonValueKind.String;
    }

    private static void CheckMetadata(JsonNode value, string name)
    {
        if (value is not JsonObject metadata || metadata.Count > 16 || metadata.Any(p => p.Value?.GetValueKind() != JsonValueKind.String || p.Key.Length > 64 || p.Value.GetValue<string>().Length > 512))
        {
            throw GatewayException.BadRequest($"'{name}' must be an object of at most 16 string values (keys up to 64 characters, values up to 512).", name);
        }
    }

    private static bool Bool(JsonNode value, string name) =>
        value.GetValueKind() is JsonValueKind.True or JsonValueKind.False
            ? value.GetValue<bool>()
            : throw GatewayException.BadRequest($"'{name}' must be a boolean.", name);

    private static string String(JsonNode? value, string name) =>
        value?.GetValueKind() == JsonValueKind.String
            ? value.GetValue<string>()
            : throw GatewayException.BadRequest($"'{name}' must be a string.", name);

    private static double Number(JsonNode value, string name, double min, double max)
    {
        var number = value.GetValueKind() == JsonValueKind.Number ? value.GetValue<double>() : double.NaN;
        if (!(number >= min && number <= max))
        {
            throw GatewayException.BadRequest($"'{name}' must be a number from {min} to {max}.", name);
        }

        return number;
    }
}
