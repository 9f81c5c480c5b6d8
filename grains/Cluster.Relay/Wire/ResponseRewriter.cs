using System.Text.Json;
using Cluster.Grains.Completions;

namespace Cluster.Relay.Wire;

/// <summary>
/// Rewrites the top-level <c>model</c> of a backend's response or stream chunk to the name the
/// client used, and reads <c>usage</c> on the way, in one forward pass with no DOM. Every other
/// byte is passed through untouched.
/// </summary>
internal static class ResponseRewriter
{
    public static byte[] Rewrite(ReadOnlySpan<byte> json, ReadOnlySpan<byte> modelToken, out ResponseFacts facts, System.Text.StringBuilder? text = null)
    {
        facts = default;
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        int modelStart = -1, modelEnd = -1;
        TokenUsage? usage = null;
        bool hasChoices = false, hasError = false;
        var contentChars = 0;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return json.ToArray();
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("model"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        modelStart = (int)reader.TokenStartIndex;
                        modelEnd = (int)reader.BytesConsumed;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("usage"u8))
                {
                    reader.Read();
                    usage = reader.TokenType == JsonTokenType.StartObject ? ReadUsage(ref reader) : SkipNull(ref reader);
                }
                else if (reader.ValueTextEquals("choices"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        contentChars = ReadChoices(ref reader, out hasChoices, text);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("data"u8))
                {
                    // Embedding responses: "data" holds the vectors; nothing to read.
                    reader.Read();
                    hasChoices = true;
                    reader.Skip();
                }
                else
                {
                    if (reader.ValueTextEquals("error"u8))
                    {
                        hasError = true;
                    }

                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON we understand: pass it through as it is.
            return json.ToArray();
        }

        facts = new ResponseFacts(usage, hasChoices, hasError, contentChars);
        if (modelStart < 0)
        {
            return json.ToArray();
        }

        var result = new byte[json.Length - (modelEnd - modelStart) + modelToken.Length];
        json[..modelStart].CopyTo(result);
        modelToken.CopyTo(result.AsSpan(modelStart));
        json[modelEnd..].CopyTo(result.AsSpan(modelStart + modelToken.Length));
        return result;
    }

    private static TokenUsage? SkipNull(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return null;
    }

    /// <summary>Reads past the choices array; returns the bytes of generated text it saw, and collects the text when asked.</summary>
    private static int ReadChoices(ref Utf8JsonReader reader, out bool any, System.Text.StringBuilder? text)
    {
        any = false;
        var chars = 0;
        var depth = reader.CurrentDepth;
        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndArray && reader.CurrentDepth == depth))
        {
            any = true;
            if (reader.TokenType == JsonTokenType.PropertyName &&
                (reader.ValueTextEquals("content"u8) || reader.ValueTextEquals("text"u8) || reader.ValueTextEquals("arguments"u8) ||
                 reader.ValueTextEquals("reasoning_content"u8) || reader.ValueTextEquals("refusal"u8)))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    chars += reader.ValueSpan.Length;
                    text?.Append(reader.GetString());
                }
                else
                {
                    reader.Skip();
                }
            }
        }

        return chars;
    }

    private static TokenUsage ReadUsage(ref Utf8JsonReader reader)
    {
        int prompt = 0, completion = 0, total = -1;
        int? cached = null, reasoning = null;
        var depth = reader.CurrentDepth;
        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth))
        {
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                continue;
            }

            if (reader.ValueTextEquals("prompt_tokens"u8))
            {
                prompt = ReadInt(ref reader);
            }
            else if (reader.ValueTextEquals("completion_tokens"u8))
            {
                completion = ReadInt(ref reader);
            }
            else if (reader.ValueTextEquals("total_tokens"u8))
            {
                total = ReadInt(ref reader);
            }
            else if (reader.ValueTextEquals("cached_tokens"u8))
            {
                cached = ReadInt(ref reader);
            }
            else if (reader.ValueTextEquals("reasoning_tokens"u8))
            {
                reasoning = ReadInt(ref reader);
            }
        }

        return new TokenUsage(prompt, completion, total >= 0 ? total : prompt + completion, cached, reasoning, Estimated: false);
    }

    private static int ReadInt(ref Utf8JsonReader reader)
    {
        reader.Read();
        return reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value) ? value : 0;
    }
}
