using System.Globalization;
using System.Text.Json;
using Cluster.Grains.Completions;
using Cluster.Grains.Errors;

namespace Cluster.Api.OpenAI;

/// <summary>
/// Reads and checks a request body in one forward pass without building a DOM. Only the fields
/// the gateway needs are read; the shapes of <c>messages</c>, <c>prompt</c> and <c>input</c> are
/// checked so that a malformed request gets a 400 naming the field, never a backend's 500.
/// Numeric parameters are held to OpenAI's ranges; everything else passes through unread.
/// </summary>
internal static class RequestReader
{
    private static readonly string[] Roles = ["system", "user", "assistant", "tool", "developer", "function"];

    /// <summary>OpenAI's limit on the items of one embeddings request.</summary>
    public const int MaxEmbeddingInputs = 2048;

    public static ParsedRequest Read(EndpointKind kind, ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            throw GatewayException.BadRequest("The request body is empty; send a JSON object.", null);
        }

        JsonTextCheck.Ensure(body);
        var reader = new Utf8JsonReader(body);
        var fields = default(RequestFields);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw GatewayException.BadRequest("The request body must be a JSON object.", null);
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!ReadRoutingField(ref reader, ref fields) && !ReadSamplingField(kind, ref reader, ref fields) && !ReadInputField(kind, ref reader, ref fields))
                {
                    // Everything else passes through unread.
                    reader.Read();
                    reader.Skip();
                }
            }

            // Anything after the object is not JSON: reading on throws (caught below) rather than
            // forwarding a body that every backend, and the built-in providers, would choke on.
            if (reader.Read())
            {
                throw GatewayException.BadRequest("The request body must be a single JSON object.", null);
            }

            return Complete(kind, fields);
        }
        catch (JsonException ex)
        {
            throw GatewayException.BadRequest(
                $"We could not parse the JSON body of your request (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine}). The body must be valid JSON.", null);
        }
        catch (InvalidOperationException)
        {
            // A string the text check let through but the reader cannot decode: still the caller's text.
            throw GatewayException.BadRequest("The request body holds a string that is not valid Unicode text.", null);
        }
    }

    /// <summary>The fields that decide where the request goes: model, streaming, session.</summary>
    private static bool ReadRoutingField(ref Utf8JsonReader reader, ref RequestFields fields)
    {
        if (reader.ValueTextEquals("model"u8))
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
            {
                throw Invalid("model", "a string");
            }

            fields.Model = reader.GetString();
            fields.ModelToken = new TokenSpan((int)reader.TokenStartIndex, (int)(reader.BytesConsumed - reader.TokenStartIndex));
        }
        else if (reader.ValueTextEquals("stream"u8))
        {
            reader.Read();
            fields.Stream = reader.TokenType switch
            {
                JsonTokenType.True => true,
                JsonTokenType.False or JsonTokenType.Null => false,
                _ => throw Invalid("stream", "a boolean"),
            };
        }
        else if (reader.ValueTextEquals("stream_options"u8))
        {
            reader.Read();
            fields.StreamUsage = ReadStreamOptions(ref reader);
        }
        else if (reader.ValueTextEquals("user"u8))
        {
            reader.Read();
            fields.User = OptionalString(ref reader, "user");
        }
        else if (reader.ValueTextEquals("prompt_cache_key"u8))
        {
            reader.Read();
            fields.PromptCacheKey = OptionalString(ref reader, "prompt_cache_key");
        }
        else
        {
            return false;
        }

        return true;
    }

    /// <summary>Token limits and sampling parameters, checked against OpenAI's ranges.</summary>
    private static bool ReadSamplingField(EndpointKind kind, ref Utf8JsonReader reader, ref RequestFields fields)
    {
        if (kind == EndpointKind.Embeddings)
        {
            return false;
        }

        if (reader.ValueTextEquals("max_tokens"u8) || reader.ValueTextEquals("max_completion_tokens"u8))
        {
            var name = reader.GetString()!;
            reader.Read();
            if (ReadInteger(ref reader, name, 1, int.MaxValue) is { } value)
            {
                fields.MaxTokens = fields.MaxTokens is { } other ? Math.Min(other, value) : value;
            }
        }
        else if (reader.ValueTextEquals("n"u8))
        {
            reader.Read();
            ReadInteger(ref reader, "n", 1, 128);
        }
        else if (reader.ValueTextEquals("temperature"u8))
        {
            reader.Read();
            ReadNumber(ref reader, "temperature", 0, 2);
        }
        else if (reader.ValueTextEquals("top_p"u8))
        {
            reader.Read();
            ReadNumber(ref reader, "top_p", 0, 1);
        }
        else if (reader.ValueTextEquals("presence_penalty"u8) || reader.ValueTextEquals("frequency_penalty"u8))
        {
            var name = reader.GetString()!;
            reader.Read();
            ReadNumber(ref reader, name, -2, 2);
        }
        else if (reader.ValueTextEquals("logprobs"u8))
        {
            reader.Read();
            if (kind == EndpointKind.ChatCompletions)
            {
                if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null))
                {
                    throw Invalid("logprobs", "a boolean");
                }
            }
            else
            {
                // The legacy endpoint takes how many log probabilities to return.
                ReadInteger(ref reader, "logprobs", 0, 5);
            }
        }
        else if (kind == EndpointKind.ChatCompletions && reader.ValueTextEquals("top_logprobs"u8))
        {
            reader.Read();
            ReadInteger(ref reader, "top_logprobs", 0, 20);
        }
        else
        {
            return false;
        }

        return true;
    }

    /// <summary>What the model reads: messages, prompt or input (checked for shape), and embeddings' options.</summary>
    private static bool ReadInputField(EndpointKind kind, ref Utf8JsonReader reader, ref RequestFields fields)
    {
        if (kind == EndpointKind.ChatCompletions && reader.ValueTextEquals("messages"u8))
        {
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            ReadMessages(ref reader);
            fields.Prompt = new TokenSpan(start, (int)reader.BytesConsumed - start);
            fields.SeenInput = true;
        }
        else if (kind == EndpointKind.Completions && reader.ValueTextEquals("prompt"u8))
        {
            reader.Read();
            var start = (int)reader.TokenStartIndex;
            ReadTextOrTokens(ref reader, "prompt", int.MaxValue);
            fields.Prompt = new TokenSpan(start, (int)reader.BytesConsumed - start);
            fields.SeenInput = true;
        }
        else if (kind == EndpointKind.Embeddings && reader.ValueTextEquals("input"u8))
        {
            reader.Read();
            ReadTextOrTokens(ref reader, "input", MaxEmbeddingInputs);
            fields.SeenInput = true;
        }
        else if (kind == EndpointKind.Embeddings && reader.ValueTextEquals("encoding_format"u8))
        {
            reader.Read();
            if (!(reader.TokenType == JsonTokenType.String && (reader.ValueTextEquals("float"u8) || reader.ValueTextEquals("base64"u8))))
            {
                throw GatewayException.BadRequest("'encoding_format' must be \"float\" or \"base64\".", "encoding_format");
            }
        }
        else if (kind == EndpointKind.Embeddings && reader.ValueTextEquals("dimensions"u8))
        {
            reader.Read();
            ReadInteger(ref reader, "dimensions", 1, int.MaxValue);
        }
        else
        {
            return false;
        }

        return true;
    }

    /// <summary>The checks that need the whole body: required fields, and combinations.</summary>
    private static ParsedRequest Complete(EndpointKind kind, in RequestFields fields)
    {
        if (string.IsNullOrEmpty(fields.Model))
        {
            throw GatewayException.BadRequest("You must provide a model parameter.", "model");
        }

        if (!fields.SeenInput)
        {
            var field = kind switch
            {
                EndpointKind.ChatCompletions => "messages",
                EndpointKind.Completions => "prompt",
                _ => "input",
            };
            throw GatewayException.BadRequest($"Missing required parameter: '{field}'.", field);
        }

        if (kind == EndpointKind.Embeddings && fields.Stream)
        {
            throw GatewayException.BadRequest("Embeddings cannot be streamed.", "stream");
        }

        return new ParsedRequest(
            fields.Model,
            fields.ModelToken,
            fields.Stream,
            fields.Stream ? fields.StreamUsage : StreamUsageOption.Absent,
            fields.MaxTokens,
            fields.User,
            fields.PromptCacheKey,
            fields.Prompt);
    }

    /// <summary>An integer in [<paramref name="min"/>, <paramref name="max"/>], or null.</summary>
    private static int? ReadInteger(ref Utf8JsonReader reader, string field, int min, int max)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var value))
        {
            throw Invalid(field, "an integer");
        }

        if (value < min || value > max)
        {
            throw OutOfRange(field, value.ToString(CultureInfo.InvariantCulture), min, max);
        }

        return (int)value;
    }

    /// <summary>A number in [<paramref name="min"/>, <paramref name="max"/>], or null.</summary>
    private static void ReadNumber(ref Utf8JsonReader reader, string field, double min, double max)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return;
        }

        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDouble(out var value))
        {
            throw Invalid(field, "a number");
        }

        if (!(value >= min && value <= max))
        {
            throw OutOfRange(field, value.ToString(CultureInfo.InvariantCulture), min, max);
        }
    }

    private static GatewayException OutOfRange(string field, string value, double min, double max) => GatewayException.BadRequest(
        max >= int.MaxValue
            ? $"Invalid '{field}': {value} is below the minimum value. Expected a value >= {min.ToString(CultureInfo.InvariantCulture)}."
            : $"Invalid '{field}': {value} is out of range. Expected a value from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}.",
        field);

    private static StreamUsageOption ReadStreamOptions(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            // Present, so the upstream body must replace it rather than add a second stream_options.
            return StreamUsageOption.Excluded;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Invalid("stream_options", "an object");
        }

        var result = StreamUsageOption.Excluded;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var includeUsage = reader.ValueTextEquals("include_usage"u8);
            reader.Read();
            if (includeUsage)
            {
                result = reader.TokenType switch
                {
                    JsonTokenType.True => StreamUsageOption.Included,
                    JsonTokenType.False or JsonTokenType.Null => StreamUsageOption.Excluded,
                    _ => throw Invalid("stream_options.include_usage", "a boolean"),
                };
            }
            else
            {
                reader.Skip();
            }
        }

        return result;
    }

    private static void ReadMessages(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw Invalid("messages", "an array of message objects");
        }

        var index = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw Invalid($"messages[{index}]", "an object");
            }

            var hasRole = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("role"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String || !IsRole(ref reader))
                    {
                        throw GatewayException.BadRequest(
                            $"Invalid value for 'messages[{index}].role': expected one of {string.Join(", ", Roles)}.", $"messages[{index}].role");
                    }

                    hasRole = true;
                }
                else if (reader.ValueTextEquals("content"u8))
                {
                    reader.Read();
                    if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.StartArray or JsonTokenType.Null))
                    {
                        throw Invalid($"messages[{index}].content", "a string or an array of content parts");
                    }

                    reader.Skip();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (!hasRole)
            {
                throw GatewayException.BadRequest($"Missing required parameter: 'messages[{index}].role'.", $"messages[{index}].role");
            }

            index++;
        }

        if (index == 0)
        {
            throw GatewayException.BadRequest("'messages' must contain at least one message.", "messages");
        }
    }

    private static bool IsRole(ref Utf8JsonReader reader)
    {
        foreach (var role in Roles)
        {
            if (reader.ValueTextEquals(role))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A string, an array of strings, an array of token ids, or an array of token-id arrays.</summary>
    private static void ReadTextOrTokens(ref Utf8JsonReader reader, string field, int maxItems)
    {
        const string Expected = "a string, an array of strings, an array of integers, or an array of integer arrays";
        if (reader.TokenType == JsonTokenType.String)
        {
            if (field == "input" && reader.ValueSpan.IsEmpty)
            {
                throw GatewayException.BadRequest("'input' cannot be an empty string.", field);
            }

            return;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw Invalid(field, Expected);
        }

        var count = 0;
        JsonTokenType? kind = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var token = reader.TokenType;
            if (kind is not null && token != kind)
            {
                throw Invalid(field, Expected + " (not a mix)");
            }

            kind = token;
            if (count == maxItems)
            {
                throw GatewayException.BadRequest($"'{field}' has too many items: at most {maxItems} are allowed in one request.", field);
            }

            switch (token)
            {
                case JsonTokenType.String:
                    break;
                case JsonTokenType.Number when reader.TryGetInt32(out var id) && id >= 0:
                    break;
                case JsonTokenType.StartArray:
                    var inner = 0;
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var innerId) || innerId < 0)
                        {
                            throw Invalid($"{field}[{count}]", "an array of token ids (non-negative integers)");
                        }

                        inner++;
                    }

                    if (inner == 0)
                    {
                        throw GatewayException.BadRequest($"'{field}[{count}]' cannot be empty.", field);
                    }

                    break;
                default:
                    throw Invalid(field, Expected);
            }

            count++;
        }

        if (count == 0)
        {
            throw GatewayException.BadRequest($"'{field}' cannot be empty.", field);
        }
    }

    private static string? OptionalString(ref Utf8JsonReader reader, string field) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Null => null,
        _ => throw Invalid(field, "a string"),
    };

    private static GatewayException Invalid(string field, string expected) =>
        GatewayException.BadRequest($"Invalid type for '{field}': expected {expected}.", field);

    /// <summary>What the reader has gathered so far.</summary>
    private struct RequestFields
    {
        public string? Model;
        public TokenSpan ModelToken;
        public bool Stream;
        public StreamUsageOption StreamUsage;
        public int? MaxTokens;
        public string? User;
        public string? PromptCacheKey;
        public TokenSpan Prompt;
        public bool SeenInput;
    }
}
