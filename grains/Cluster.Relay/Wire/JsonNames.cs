using System.Collections.Concurrent;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Cluster.Relay.Wire;

/// <summary>Model names as JSON string tokens (quotes included), encoded once and reused.</summary>
internal static class JsonNames
{
    private static readonly ConcurrentDictionary<string, byte[]> Cache = new(StringComparer.Ordinal);

    public static byte[] Encode(string name) => Cache.GetOrAdd(name, static n =>
    {
        var encoded = JsonEncodedText.Encode(n, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).EncodedUtf8Bytes;
        var token = new byte[encoded.Length + 2];
        token[0] = (byte)'"';
        encoded.CopyTo(token.AsSpan(1));
        token[^1] = (byte)'"';
        return token;
    });
}
