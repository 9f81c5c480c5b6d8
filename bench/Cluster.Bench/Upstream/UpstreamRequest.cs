using System.Buffers;
using System.Text.Json;

namespace Cluster.Bench.Upstream;

/// <summary>The few fields of an OpenAI request body that the fake upstream reacts to.</summary>
internal readonly record struct UpstreamRequest(
    string Model,
    bool Stream,
    bool IncludeUsage,
    int InputCount,
    bool Base64)
{
    private const string DefaultModel = "fake-upstream-model";

    /// <summary>Reads the top-level fields without building a document; unknown fields are skipped.</summary>
    public static bool TryParse(ReadOnlySequence<byte> body, out UpstreamRequest request)
    {
        request = new UpstreamRequest(DefaultModel, false, false, 1, false);
        if (body.IsEmpty)
        {
            return true;
        }

        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            var model = DefaultModel;
            var stream = false;
            var includeUsage = false;
            var inputs = 1;
            var base64 = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("model"u8))
                {
                    reader.Read();
                    model = reader.TokenType == JsonTokenType.String ? reader.GetString() ?? DefaultModel : DefaultModel;
                }
                else if (reader.ValueTextEquals("stream"u8))
                {
                    reader.Read();
                    stream = reader.TokenType == JsonTokenType.True;
                }
                else if (reader.ValueTextEquals("stream_options"u8))
                {
                    reader.Read();
                    includeUsage = ReadIncludeUsage(ref reader);
                }
                else if (reader.ValueTextEquals("input"u8))
                {
                    reader.Read();
                    inputs = CountInputs(ref reader);
                }
                else if (reader.ValueTextEquals("encoding_format"u8))
                {
                    reader.Read();
                    base64 = reader.TokenType == JsonTokenType.String && reader.ValueTextEquals("base64"u8);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            request = new UpstreamRequest(model, stream, includeUsage, inputs, base64);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool ReadIncludeUsage(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return false;
        }

        var include = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isIncludeUsage = reader.ValueTextEquals("include_usage"u8);
            reader.Read();
            if (isIncludeUsage)
            {
                include = reader.TokenType == JsonTokenType.True;
            }
            else
            {
                reader.Skip();
            }
        }

        return include;
    }

    /// <summary>A string or an int[] is one input; string[] and int[][] are one input per element.</summary>
    private static int CountInputs(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return 1;
        }

        var count = 0;
        var tokensOnly = true;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number)
            {
                tokensOnly = false;
            }

            count++;
            reader.Skip();
        }

        return tokensOnly ? 1 : Math.Max(count, 1);
    }
}
