using System.Text.Json;
using Cluster.Grains.Errors;

namespace Cluster.Relay.Providers;

/// <summary>
/// The parts of an embeddings request a built-in provider needs. Token-id input is read as
/// cl100k_base ids, which is what OpenAI clients (LangChain among them) send.
/// </summary>
internal sealed record EmbeddingRequest(IReadOnlyList<string> Texts, bool Base64, int? Dimensions)
{
    public static EmbeddingRequest Read(byte[] body, TokenCounter tokens)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        var input = root.GetProperty("input");
        List<string> texts = input.ValueKind switch
        {
            JsonValueKind.String => [input.GetString()!],
            JsonValueKind.Array when input.GetArrayLength() > 0 && input[0].ValueKind == JsonValueKind.Number =>
                [tokens.DecodeCl100k(input.EnumerateArray().Select(e => e.GetInt32()))],
            JsonValueKind.Array => input.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String
                ? e.GetString()!
                : tokens.DecodeCl100k(e.EnumerateArray().Select(t => t.GetInt32()))).ToList(),
            _ => throw GatewayException.BadRequest("'input' must be a string, an array of strings, or token arrays.", "input"),
        };
        var base64 = root.TryGetProperty("encoding_format", out var format) && format.ValueKind == JsonValueKind.String && format.ValueEquals("base64"u8);
        int? dimensions = root.TryGetProperty("dimensions", out var dims) && dims.ValueKind == JsonValueKind.Number ? dims.GetInt32() : null;
        return new EmbeddingRequest(texts, base64, dimensions);
    }
}
