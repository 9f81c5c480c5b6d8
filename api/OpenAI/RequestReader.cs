using System.Text.Json;
using Cluster.Grains.Completions;
using Cluster.Grains.Errors;

namespace Cluster.Api.OpenAI;

/// <summary>
/// Reads and checks a request body in one forward pass without building a DOM. Only the fields
/// the gateway needs are read; the shapes of <c>messages</c>, <c>prompt</c> and <c>input</c> are
/// checked so that a malformed request gets a 400 naming the field, never a backend's 500.
/// </summary>
internal static class RequestReader
{
    private static readonly string[] Roles = ["system", "user", "assistant", "tool", "developer", "function"];

    public static ParsedRequest Read(EndpointKind kind, ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
        {
            throw GatewayException.BadRequest("The request body is empty; send a JSON object.", null);
        }

        var reader = new Utf8JsonReader(body);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw GatewayException.BadRequest("The request body must be a JSON object.", null);
            }

            string? model = null, user = null, cacheKey = null;
            TokenSpan modelToken = default;
            bool stream = false, seenInput = false;
            var usage = StreamUsageOption.Absent;
            int? maxTokens = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("model"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        throw Invalid("model", "a string");
                    }

                    model = reader.GetString();
                    modelToken = new TokenSpan((int)reader.TokenStartIndex, (int)(reader.BytesConsumed - reader.TokenStartIndex));
                }
                else if (reader.ValueTextEquals("stream"u8))
                {
                    reader.Read();
                    stream = reader.TokenType switch
                    {
                        JsonTokenType.True => true,
                        JsonTokenType.False or JsonTokenType.Null => false,
                        _ => throw Invalid("stream", "a boolean"),
                    };
                }
                else if (reader.ValueTextEquals("stream_options"u8))
                {
                    reader.Read();
                    usage = ReadStreamOptions(ref reader);
                }
                else if (reader.ValueTextEquals("max_tokens"u8) || reader.ValueTextEquals("max_completion_tokens"u8))
                {
                    var name = reader.GetString()!;
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Null)
                    {
                        continue;
                    }

                    if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var value) || value < 0)
                    {
                        throw Invalid(name, "a non-negative integer");
                    }

                    maxTokens = maxTokens is { } other ? Math.Min(other, value) : value;
                }
                else if (reader.ValueTextEquals("n"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.Null && (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var n) || n < 1 || n > 128))
                    {
                        throw Invalid("n", "an integer from 1 to 128");
                    }
                }
                else if (reader.ValueTextEquals("user"u8))
                {
                    reader.Read();
                    user = OptionalString(ref reader, "user");
                }
                else if (reader.ValueTextEquals("prompt_cache_key"u8))
                {
                    reader.Read();
                    cacheKey = OptionalString(ref reader, "prompt_cache_key");
                }
                else if (kind == EndpointKind.ChatCompletions && reader.ValueTextEquals("messages"u8))
                {
                    reader.Read();
                    ReadMessages(ref reader);
                    seenInput = true;
                }
                else if (kind == EndpointKind.Completions && reader.ValueTextEquals("prompt"u8))
                {
                    reader.Read();
                    ReadTextOrTokens(ref reader, "prompt");
                    seenInput = true;
                }
                else if (kind == EndpointKind.Embeddings && reader.ValueTextEquals("input"u8))
                {
                    reader.Read();
                    ReadTextOrTokens(ref reader, "input");
                    seenInput = true;
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
                    if (reader.TokenType != JsonTokenType.Null && (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var d) || d < 1))
                    {
                        throw Invalid("dimensions", "a positive integer");
                    }
                }
                else
                {
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

            if (string.IsNullOrEmpty(model))
            {
                throw GatewayException.BadRequest("You must provide a model parameter.", "model");
            }

            if (!seenInput)
            {
                var field = kind switch
                {
                    EndpointKind.ChatCompletions => "messages",
                    EndpointKind.Completions => "prompt",
                    _ => "input",
                };
                throw GatewayException.BadRequest($"Missing required parameter: '{field}'.", field);
            }

            if (kind == EndpointKind.Embeddings && stream)
            {
                throw GatewayException.BadRequest("Embeddings cannot be streamed.", "stream");
            }

            return new ParsedRequest(model, modelToken, stream, stream ? usage : StreamUsageOption.Absent, maxTokens, user, cacheKey);
        }
        catch (JsonException ex)
        {
            throw GatewayException.BadRequest(
                $"We could not parse the JSON body of your request (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine}). The body must be valid JSON.", null);
        }
    }

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
    private static void ReadTextOrTokens(ref Utf8JsonReader reader, string field)
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
}
