using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Cluster.Tests.Support;

/// <summary>
/// HTTP/1.1 written by hand on a socket, for requests no client library sends (broken framing,
/// oversized headers, trickled bytes). Each request asks for <c>Connection: close</c>; the answer
/// is read until the server closes the connection.
/// </summary>
public static class RawHttp
{
    /// <summary>Sends <paramref name="head"/> (request line and headers, without the blank line) and <paramref name="body"/> as they are.</summary>
    public static async Task<RawResponse> SendAsync(string baseUrl, string head, byte[]? body = null, TimeSpan? timeout = null)
    {
        using var client = await ConnectAsync(baseUrl);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.Latin1.GetBytes(head.TrimEnd('\r', '\n') + "\r\n\r\n"));
        if (body is not null)
        {
            try
            {
                await stream.WriteAsync(body);
            }
            catch (IOException)
            {
                // The server may answer and close before reading all of it.
            }
        }

        return await ReadAsync(stream, timeout ?? TimeSpan.FromSeconds(30));
    }

    public static async Task<TcpClient> ConnectAsync(string baseUrl)
    {
        var uri = new Uri(baseUrl);
        var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, uri.Port);
        return client;
    }

    /// <summary>Reads one response up to the server's close (or its Content-Length).</summary>
    public static async Task<RawResponse> ReadAsync(NetworkStream stream, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int headEnd = -1;
        long? contentLength = null;
        try
        {
            while (true)
            {
                var n = await stream.ReadAsync(buffer, cancel.Token);
                if (n == 0)
                {
                    break;
                }

                received.Write(buffer, 0, n);
                if (headEnd < 0)
                {
                    headEnd = IndexOfBlankLine(received.GetBuffer().AsSpan(0, (int)received.Length));
                    if (headEnd >= 0)
                    {
                        contentLength = ContentLength(Encoding.Latin1.GetString(received.GetBuffer(), 0, headEnd));
                    }
                }

                if (headEnd >= 0 && contentLength is { } length && received.Length >= headEnd + 4 + length)
                {
                    break;
                }
            }
        }
        catch (IOException) when (received.Length > 0)
        {
            // Reset after the answer: what arrived is the answer.
        }

        return Parse(received.ToArray());
    }

    private static int IndexOfBlankLine(ReadOnlySpan<byte> data) => data.IndexOf("\r\n\r\n"u8);

    private static long? ContentLength(string head)
    {
        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
            {
                return long.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    private static RawResponse Parse(byte[] data)
    {
        var headEnd = IndexOfBlankLine(data);
        Assert.True(headEnd > 0, $"No HTTP response arrived ({data.Length} bytes).");
        var lines = Encoding.Latin1.GetString(data, 0, headEnd).Split("\r\n");
        var status = (HttpStatusCode)int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                var name = line[..colon].Trim();
                headers[name] = headers.TryGetValue(name, out var previous) ? previous + "," + line[(colon + 1)..].Trim() : line[(colon + 1)..].Trim();
            }
        }

        var body = data.AsSpan(headEnd + 4);
        if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            body = Dechunk(body.ToArray());
        }

        var contentType = headers.TryGetValue("Content-Type", out var type) ? type.Split(';')[0].Trim() : null;
        return new RawResponse(status, contentType, headers, Encoding.UTF8.GetString(body));
    }

    private static byte[] Dechunk(byte[] data)
    {
        var result = new MemoryStream();
        var at = 0;
        while (at < data.Length)
        {
            var lineEnd = data.AsSpan(at).IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                break;
            }

            var size = Convert.ToInt32(Encoding.ASCII.GetString(data, at, lineEnd).Split(';')[0], 16);
            at += lineEnd + 2;
            if (size == 0)
            {
                break;
            }

            result.Write(data, at, Math.Min(size, data.Length - at));
            at += size + 2;
        }

        return result.ToArray();
    }
}
