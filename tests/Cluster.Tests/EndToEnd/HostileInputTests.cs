using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Cluster.Tests.Support;

namespace Cluster.Tests.EndToEnd;

/// <summary>
/// The hostile requests of issue 14 (malformed text, encodings, sizes, headers, framing): each gets
/// one OpenAI error with the right status, never a 500, and never reaches a backend.
/// </summary>
[Collection(GatewayFixture.Name)]
public sealed class HostileInputTests(GatewayFixture gateway)
{
    private const string Chat = "/v1/chat/completions";
    private const string Invalid = "invalid_request_error";
    private const string User = """[{"role":"user","content":"hi"}]""";

    public static TheoryData<string, string> LoneSurrogates => new()
    {
        { $$"""{"model":"\ud800","messages":{{User}}}""", "model" },
        { """{"model":"echo","messages":[{"role":"\udfff","content":"hi"}]}""", "messages[0].role" },
        { """{"model":"echo","messages":[{"role":"user","content":"a\ud800b"}]}""", "messages[0].content" },
        { """{"model":"echo","messages":[{"role":"user","content":[{"type":"text","text":"\udc00"}]}]}""", "messages[0].content[0].text" },
        { $$$"""{"model":"echo","messages":{{{User}}},"metadata":{"k":"\ud83d"}}""", "metadata.k" },
    };

    [Theory]
    [MemberData(nameof(LoneSurrogates))]
    public async Task Post_LoneSurrogateEscape_Returns400NamingTheField(string body, string param)
    {
        var response = await gateway.PostAsync(Chat, body);

        var error = ErrorAssert.Matches(response, HttpStatusCode.BadRequest, Invalid, null, param);
        Assert.Contains("surrogate", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_EscapedSurrogatePair_IsServed()
    {
        var response = await gateway.PostAsync(Chat, """{"model":"echo","messages":[{"role":"user","content":"smile \ud83d\ude00"}]}""");

        Assert.Equal(HttpStatusCode.OK, response.Status);
    }

    public static TheoryData<string, string, string> InvalidUtf8 => new()
    {
        { "{\"model\":\"ec", "ho\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "model" },
        { "{\"model\":\"echo\",\"messages\":[{\"role\":\"user\",\"content\":\"a", "b\"}]}", "messages[0].content" },
        { "{\"model\":\"echo\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"user\":\"", "\"}", "user" },
        { "{\"model\":\"echo\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"extra\":[\"ok\",\"", "\"]}", "extra[1]" },
    };

    [Theory]
    [MemberData(nameof(InvalidUtf8))]
    public async Task Post_InvalidUtf8InAString_Returns400NamingTheField(string before, string after, string param)
    {
        byte[] body = [.. Encoding.UTF8.GetBytes(before), 0xFF, 0xC3, 0x28, .. Encoding.UTF8.GetBytes(after)];

        var response = await PostBytesAsync(Chat, body);

        var error = ErrorAssert.Matches(response, HttpStatusCode.BadRequest, Invalid, null, param);
        Assert.Contains("UTF-8", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_InvalidUtf8ForTheUpstream_NeverReachesIt()
    {
        var marker = GatewayFixture.NewMarker();
        byte[] body = [.. Encoding.UTF8.GetBytes($$"""{"model":"fake","messages":[{"role":"user","content":"{{marker}} """), 0xED, 0xA0, 0x80, .. "\"}]}"u8.ToArray()];

        var response = await PostBytesAsync(Chat, body);

        ErrorAssert.Matches(response, HttpStatusCode.BadRequest, Invalid, null, "messages[0].content");
        Assert.DoesNotContain(gateway.Upstream.Requests, r => r.ToJsonString().Contains(marker, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ffffffffffffffffff")]
    [InlineData("zz")]
    [InlineData("-1")]
    public async Task Post_BrokenChunkFraming_Returns400OpenAIError(string chunkSize)
    {
        var head = $"POST {Chat} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close";
        var body = Encoding.ASCII.GetBytes($"{chunkSize}\r\n{{\"model\":\"echo\"}}\r\n0\r\n\r\n");

        var response = await RawHttp.SendAsync(gateway.BaseUrl, head, body);

        ErrorAssert.Matches(response, HttpStatusCode.BadRequest, Invalid, null, null);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    [InlineData("deflate")]
    [InlineData("GZIP")]
    public async Task Post_CompressedBody_IsDecodedAndServed(string encoding)
    {
        var json = $$"""{"model":"echo","messages":[{"role":"user","content":"compressed {{encoding}}"}]}""";

        var response = await PostBytesAsync(Chat, Compress(encoding.ToLowerInvariant(), Encoding.UTF8.GetBytes(json)), encoding);

        Assert.True(response.Status == HttpStatusCode.OK, response.Body);
        Assert.Contains($"compressed {encoding}", response.Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("compress")]
    [InlineData("zstd")]
    [InlineData("gzip, br")]
    public async Task Post_UnsupportedContentEncoding_Returns415(string encoding)
    {
        var response = await PostBytesAsync(Chat, Encoding.UTF8.GetBytes($$"""{"model":"echo","messages":{{User}}}"""), encoding);

        var error = ErrorAssert.Matches(response, HttpStatusCode.UnsupportedMediaType, Invalid, "unsupported_content_encoding", null);
        Assert.Contains("gzip", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_CorruptGzip_Returns400()
    {
        var response = await PostBytesAsync(Chat, [0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9], "gzip");

        ErrorAssert.Matches(response, HttpStatusCode.BadRequest, Invalid, null, null);
    }

    [Fact]
    public async Task Post_GzipBombOverTheLimit_Returns413()
    {
        // 64 MiB of one byte inside a JSON string, about 64 KB compressed: past the 8 MiB limit once inflated.
        var bomb = new MemoryStream();
        using (var gzip = new GZipStream(bomb, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write("{\"model\":\"echo\",\"messages\":[{\"role\":\"user\",\"content\":\""u8);
            var zeros = new byte[1024 * 1024];
            Array.Fill(zeros, (byte)'a');
            for (var i = 0; i < 64; i++)
            {
                gzip.Write(zeros);
            }

            gzip.Write("\"}]}"u8);
        }

        var response = await PostBytesAsync(Chat, bomb.ToArray(), "gzip");

        Assert.True(bomb.Length < 1024 * 1024, $"The bomb is {bomb.Length} bytes compressed.");
        var error = ErrorAssert.Matches(response, HttpStatusCode.RequestEntityTooLarge, Invalid, "request_too_large", null);
        Assert.Contains("decoded", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_TenMegabyteBody_Returns413AtTheDefaultLimit()
    {
        var big = $$"""{"model":"echo","messages":[{"role":"user","content":"{{new string('x', 10_000_000)}}"}]}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, gateway.BaseUrl + Chat) { Content = new StringContent(big, Encoding.UTF8, "application/json") };

        // The gateway answers from the Content-Length, before the body: with 100-continue the body is never sent.
        request.Headers.ExpectContinue = true;
        using var sent = await gateway.Http.SendAsync(request);
        var response = await RawResponse.ReadAsync(sent);

        var error = ErrorAssert.Matches(response, HttpStatusCode.RequestEntityTooLarge, Invalid, "request_too_large", null);
        Assert.Contains("8388608", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Head_Models_Returns200WithoutBody()
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, gateway.BaseUrl + "/v1/models");
        using var response = await gateway.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Post_64KilobyteHeader_Returns431OpenAIError()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, gateway.BaseUrl + Chat)
        {
            Content = new StringContent($$"""{"model":"echo","messages":{{User}}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("x-padding", new string('a', 64 * 1024));
        using var sent = await gateway.Http.SendAsync(request);
        var response = await RawResponse.ReadAsync(sent);

        ErrorAssert.Matches(response, HttpStatusCode.RequestHeaderFieldsTooLarge, Invalid, "request_headers_too_large", null);
    }

    [Fact]
    public async Task Get_TooManyHeaders_Returns431OpenAIError()
    {
        var head = new StringBuilder($"GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close");
        for (var i = 0; i < 150; i++)
        {
            head.Append($"\r\nx-h{i}: v");
        }

        var response = await RawHttp.SendAsync(gateway.BaseUrl, head.ToString());

        ErrorAssert.Matches(response, HttpStatusCode.RequestHeaderFieldsTooLarge, Invalid, "request_headers_too_large", null);
    }

    [Fact]
    public async Task Get_VeryLongPath_Returns414OpenAIError()
    {
        var response = await RawHttp.SendAsync(gateway.BaseUrl, $"GET /v1/models/{new string('m', 20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close");

        ErrorAssert.Matches(response, HttpStatusCode.RequestUriTooLong, Invalid, "request_uri_too_long", null);
    }

    [Fact]
    public async Task Post_StreamWithoutIncludeUsage_ChunksCarryNoUsageField()
    {
        var marker = GatewayFixture.NewMarker();

        var response = await gateway.PostAsync(Chat, $$"""{"model":"fake","stream":true,"messages":[{"role":"user","content":"{{marker}}"}]}""");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        var chunks = SseBody.Events(response.Body).Select(d => JsonNode.Parse(d)!.AsObject()).ToList();
        Assert.NotEmpty(chunks);
        Assert.All(chunks, c => Assert.False(c.ContainsKey("usage"), c.ToJsonString()));
        Assert.All(chunks, c => Assert.Equal("fake", c["model"]!.GetValue<string>()));
        Assert.True(gateway.UpstreamRequestWith(marker)["stream_options"]!["include_usage"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Post_StreamWithIncludeUsage_ChunksKeepTheirUsageField()
    {
        var response = await gateway.PostAsync(Chat, $$"""{"model":"fake","stream":true,"stream_options":{"include_usage":true},"messages":{{User}}}""");

        var chunks = SseBody.Events(response.Body).Select(d => JsonNode.Parse(d)!.AsObject()).ToList();
        Assert.All(chunks, c => Assert.True(c.ContainsKey("usage"), c.ToJsonString()));
        Assert.NotNull(chunks[^1]["usage"]);
    }

    private static byte[] Compress(string encoding, byte[] data)
    {
        var output = new MemoryStream();
        using (Stream compressor = encoding switch
        {
            "gzip" => new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true),
            "br" => new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true),
            _ => new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true),
        })
        {
            compressor.Write(data);
        }

        return output.ToArray();
    }

    private async Task<RawResponse> PostBytesAsync(string path, byte[] body, string? contentEncoding = null)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (contentEncoding is not null)
        {
            content.Headers.TryAddWithoutValidation("Content-Encoding", contentEncoding);
        }

        using var response = await gateway.Http.PostAsync(gateway.BaseUrl + path, content);
        return await RawResponse.ReadAsync(response);
    }
}
