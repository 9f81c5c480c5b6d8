using System.Buffers;
using System.IO.Compression;
using Cluster.Grains.Errors;
using Microsoft.AspNetCore.Http.Features;

namespace Cluster.Api.Completions;

/// <summary>
/// Reads a request body into one exactly sized array (it crosses the grain call as is), decoding
/// <c>Content-Encoding</c> gzip, br and deflate on the way. The limit counts the decoded bytes, so a
/// compressed bomb is refused after at most the limit has been inflated. A body of known length is
/// read straight into its array; any other is gathered in pooled buffers and copied once.
/// </summary>
internal static class RequestBody
{
    private const int FirstSegment = 16 * 1024;

    public static async Task<byte[]> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var body = await ReadBodyAsync(request, cancellationToken);
            request.HttpContext.RequestServices.GetService<Server.LargeBodyMemory>()?.Track(request.HttpContext, body.Length);
            return body;
        }
        catch (IOException ex) when (ex is not BadHttpRequestException && !cancellationToken.IsCancellationRequested)
        {
            // Kestrel reports some broken framing (a chunk size that overflows) as a plain IOException.
            request.HttpContext.Response.Headers.Connection = "close";
            throw GatewayException.BadRequest($"The request body could not be read: {ex.Message}", null);
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var limit = request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize ?? long.MaxValue;
        var encoding = ContentEncodingOf(request);
        if (request.ContentLength is { } length)
        {
            if (length == 0)
            {
                throw GatewayException.BadRequest("The request body is empty; send a JSON object.", null);
            }

            if (length > limit)
            {
                throw TooLarge(request, $"The request body is too large ({length} bytes; the limit is {limit}).");
            }

            if (encoding is null)
            {
                return await ReadExactlyAsync(request.Body, (int)length, cancellationToken);
            }
        }

        if (encoding is null)
        {
            return await ReadToEndAsync(request, request.Body, limit, cancellationToken);
        }

        await using var decoded = Decoder(encoding, request.Body);
        try
        {
            return await ReadToEndAsync(request, decoded, limit, cancellationToken);
        }
        catch (InvalidDataException)
        {
            throw GatewayException.BadRequest($"The request body is not valid {encoding} data (Content-Encoding: {encoding}).", null);
        }
    }

    /// <summary>The body's encoding, or null for none; an encoding we cannot decode is a 415.</summary>
    private static string? ContentEncodingOf(HttpRequest request)
    {
        var header = request.Headers.ContentEncoding;
        if (header.Count == 0)
        {
            return null;
        }

        if (header.Count > 1 || header.ToString().Contains(',', StringComparison.Ordinal))
        {
            throw Unsupported(header.ToString());
        }

        var value = header.ToString().Trim();
        return value.ToLowerInvariant() switch
        {
            "" or "identity" => null,
            "gzip" or "x-gzip" => "gzip",
            "br" => "br",
            "deflate" => "deflate",
            _ => throw Unsupported(value),
        };
    }

    private static Stream Decoder(string encoding, Stream body) => encoding switch
    {
        "gzip" => new GZipStream(body, CompressionMode.Decompress, leaveOpen: true),
        "br" => new BrotliStream(body, CompressionMode.Decompress, leaveOpen: true),

        // HTTP's "deflate" is the zlib format (RFC 9110 §8.4.1.2).
        _ => new ZLibStream(body, CompressionMode.Decompress, leaveOpen: true),
    };

    private static async Task<byte[]> ReadExactlyAsync(Stream body, int length, CancellationToken cancellationToken)
    {
        var result = new byte[length];
        var read = 0;
        while (read < result.Length)
        {
            var n = await body.ReadAsync(result.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                throw GatewayException.BadRequest("The request body ended before its Content-Length.", null);
            }

            read += n;
        }

        return result;
    }

    /// <summary>Reads into pooled segments that double in size, then copies them once into the result.</summary>
    private static async Task<byte[]> ReadToEndAsync(HttpRequest request, Stream body, long limit, CancellationToken cancellationToken)
    {
        var segments = new List<(byte[] Buffer, int Count)>();
        long total = 0;
        try
        {
            var size = FirstSegment;
            while (true)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(size);
                var count = 0;
                segments.Add((buffer, 0));
                while (count < buffer.Length)
                {
                    // At most one byte past the limit is asked for: enough to know the body is too large.
                    var room = limit - total;
                    var want = (int)Math.Min(buffer.Length - count, room >= int.MaxValue ? int.MaxValue : room + 1);
                    var n = await body.ReadAsync(buffer.AsMemory(count, want), cancellationToken);
                    if (n == 0)
                    {
                        segments[^1] = (buffer, count);
                        return Join(segments, total);
                    }

                    count += n;
                    total += n;
                    if (total > limit)
                    {
                        throw TooLarge(request, $"The request body is too large (more than {limit} bytes{(body == request.Body ? "" : " decoded")}; the limit is {limit}).");
                    }
                }

                segments[^1] = (buffer, count);
                size = (int)Math.Min((long)size * 2, Array.MaxLength);
            }
        }
        finally
        {
            foreach (var (buffer, _) in segments)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static byte[] Join(List<(byte[] Buffer, int Count)> segments, long total)
    {
        if (total == 0)
        {
            throw GatewayException.BadRequest("The request body is empty; send a JSON object.", null);
        }

        var result = new byte[total];
        var offset = 0;
        foreach (var (buffer, count) in segments)
        {
            buffer.AsSpan(0, count).CopyTo(result.AsSpan(offset));
            offset += count;
        }

        return result;
    }

    private static GatewayException TooLarge(HttpRequest request, string message)
    {
        // The rest of the body stays unread and Kestrel will not drain more than the limit: without
        // this the connection is dropped after the response and a client that reuses it fails.
        request.HttpContext.Response.Headers.Connection = "close";
        return new GatewayException(GatewayErrorCode.RequestTooLarge, message);
    }

    private static GatewayException Unsupported(string encoding) => new(
        GatewayErrorCode.UnsupportedMediaType,
        $"Content-Encoding '{encoding}' is not supported; send the body as is, or encoded with gzip, br or deflate.");
}
