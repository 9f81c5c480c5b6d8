using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using Cluster.Grains.Errors;

namespace Cluster.Relay.Providers;

/// <summary>Writes an OpenAI embeddings response for the built-in providers.</summary>
internal static class EmbeddingResponse
{
    public static byte[] Write(string model, IReadOnlyList<float[]> vectors, bool base64, int? dimensions, int promptTokens)
    {
        var writer = new ArrayBufferWriter<byte>(1024 + (vectors.Count * 4096));
        using (var json = new Utf8JsonWriter(writer))
        {
            json.WriteStartObject();
            json.WriteString("object", "list");
            json.WriteStartArray("data");
            for (var i = 0; i < vectors.Count; i++)
            {
                var vector = Shorten(vectors[i], dimensions);
                json.WriteStartObject();
                json.WriteString("object", "embedding");
                json.WriteNumber("index", i);
                if (base64)
                {
                    json.WriteBase64String("embedding", MemoryMarshal.AsBytes(vector.AsSpan()));
                }
                else
                {
                    json.WriteStartArray("embedding");
                    foreach (var value in vector)
                    {
                        json.WriteNumberValue(value);
                    }

                    json.WriteEndArray();
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteString("model", model);
            json.WriteStartObject("usage");
            json.WriteNumber("prompt_tokens", promptTokens);
            json.WriteNumber("total_tokens", promptTokens);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return writer.WrittenSpan.ToArray();
    }

    /// <summary>Truncates to <paramref name="dimensions"/> and renormalises, as OpenAI does for shortened embeddings.</summary>
    private static float[] Shorten(float[] vector, int? dimensions)
    {
        if (dimensions is not { } size || size == vector.Length)
        {
            return Normalise(vector);
        }

        if (size < 1 || size > vector.Length)
        {
            throw GatewayException.BadRequest($"'dimensions' must be between 1 and {vector.Length} for this model.", "dimensions");
        }

        return Normalise(vector[..size]);
    }

    private static float[] Normalise(float[] vector)
    {
        var norm = 0.0;
        foreach (var value in vector)
        {
            norm += value * value;
        }

        norm = Math.Sqrt(norm);
        if (norm is 0 or double.NaN || Math.Abs(norm - 1) < 1e-6)
        {
            return vector;
        }

        var result = new float[vector.Length];
        for (var i = 0; i < vector.Length; i++)
        {
            result[i] = (float)(vector[i] / norm);
        }

        return result;
    }
}
