using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Cluster.Tests.Support;
using CsCheck;
using Xunit.Abstractions;

namespace Cluster.Tests.Fuzz;

/// <summary>
/// Generated hostile requests (broken JSON and text, wrong types, huge and negative numbers, deep
/// nesting, encodings, framing, methods, paths and headers) against a real gateway on a socket.
/// Whatever is sent: an answer arrives, no 5xx but a backend's 502/503/504, every error is an
/// OpenAI error, the process does not grow, and a valid request is served afterwards.
/// </summary>
public sealed class HostileRequestFuzzTests(ITestOutputHelper output)
{
    private const int Requests = 1200;
    private static readonly string[] Models = ["echo", "fake", "failing", "broken", "nope", "", "org/echo-model"];
    private static readonly string[] Paths =
    [
        "/v1/chat/completions", "/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/models", "/models/echo",
        "/v1/usage", "/admin/tenants/fuzz", "/admin/models/fuzz", "/v1/nothing", "/health/live", "/v1/chat/completions/x",
    ];

    private static readonly string[] Methods = ["POST", "POST", "POST", "GET", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"];
    private static readonly string[] Encodings = ["", "", "", "gzip", "br", "deflate", "compress", "gzip-mislabelled", "identity"];

    [Fact]
    public async Task Send_GeneratedHostileRequests_NoServerErrorAndStillServing()
    {
        await using var upstream = await FakeUpstream.StartAsync("fuzz-upstream");
        await using var failing = await FakeUpstream.StartAsync("fuzz-failing");
        failing.FailWithStatus = 500;
        var config = new
        {
            Auth = new { AdminKey = "fuzz-admin" },
            Models = new object[]
            {
                new { Name = "echo", Aliases = new[] { "org/echo-model" }, Deployments = new object[] { new { Provider = "echo" } } },
                new { Name = "fake", Deployments = new object[] { new { Provider = "openai", upstream.BaseUrl } } },
                new { Name = "failing", Deployments = new object[] { new { Provider = "openai", failing.BaseUrl } } },
                new { Name = "broken", Deployments = new object[] { new { Provider = "openai", BaseUrl = $"http://127.0.0.1:{FreePorts.Next()}/v1", ConnectTimeoutSeconds = 2.0 } } },
            },
        };
        await using var gateway = await GatewayHost.StartAsync(config, "--Server:MaxRequestBodyBytes", "262144", "--Routing:MaxAttempts", "2");
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var statuses = new ConcurrentDictionary<int, int>();

        await Request.SampleAsync(
            async request =>
            {
                var response = await RawHttp.SendAsync(gateway.BaseUrl, request.Head(), request.Body, TimeSpan.FromSeconds(30));
                statuses.AddOrUpdate((int)response.Status, 1, (_, n) => n + 1);
                Check(request, response);
            },
            iter: Requests,
            threads: 4,
            print: r => r.Describe());

        var valid = await RawHttp.SendAsync(gateway.BaseUrl, new HostileRequest("POST", "/v1/chat/completions", """{"model":"echo","messages":[{"role":"user","content":"still here"}]}"""u8.ToArray(), "", false, "").Head(), """{"model":"echo","messages":[{"role":"user","content":"still here"}]}"""u8.ToArray());
        var after = GC.GetTotalMemory(forceFullCollection: true);

        output.WriteLine($"{statuses.Values.Sum()} requests: " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}")));
        output.WriteLine($"managed heap {before / 1048576.0:0.0} MB before, {after / 1048576.0:0.0} MB after");
        Assert.Equal(Requests, statuses.Values.Sum());
        Assert.Equal(HttpStatusCode.OK, valid.Status);
        Assert.Contains("still here", valid.Body, StringComparison.Ordinal);
        Assert.True(after - before < 128L * 1024 * 1024, $"The managed heap grew by {(after - before) / 1048576.0:0.0} MB.");
    }

    private static void Check(HostileRequest request, RawResponse response)
    {
        var status = (int)response.Status;
        if (status >= 500)
        {
            Assert.True(status is 502 or 503 or 504, $"{status} for {request.Describe()}: {response.Body}");
            var code = JsonNode.Parse(response.Body)!["error"]!["code"]!.GetValue<string>();
            Assert.True(code is "upstream_error" or "upstream_timeout" or "no_healthy_deployment", $"{status} {code} for {request.Describe()}");
        }

        if (status >= 400 && request.Method != "HEAD")
        {
            Assert.True(response.ContentType == "application/json", $"{status} without a JSON body for {request.Describe()}: '{response.Body}'");
            var error = JsonNode.Parse(response.Body)!["error"]!.AsObject();
            Assert.False(string.IsNullOrEmpty(error["message"]!.GetValue<string>()));
            Assert.NotNull(error["type"]);
            Assert.DoesNotContain("   at ", response.Body, StringComparison.Ordinal);
        }
    }

    /// <summary>A request: a method and path, a JSON-ish body broken in one of many ways, an encoding and a framing.</summary>
    private static Gen<HostileRequest> Request =>
        from target in Gen.Frequency(
            (8, Gen.OneOf(Paths[..4]).Select(p => (Method: "POST", Path: p))),
            (2, Gen.Select(Gen.OneOf(Methods), Gen.OneOf(Paths), (m, p) => (Method: m, Path: p))))
        from query in Gen.Frequency((4, Gen.Const("")), (1, Gen.String[Gen.Char["a-z0-9%&=+"], 0, 40].Select(q => "?" + q)))
        from body in Body
        from encoding in Gen.OneOf(Encodings)
        from chunked in Gen.Bool
        from header in Gen.Frequency((5, Gen.Const("")), (1, Gen.String[Gen.Char["a-zA-Z0-9 ;=,-"], 0, 2000].Select(v => "x-fuzz: " + v)), (1, Gen.String[Gen.Char["a-zA-Z0-9/+-"], 0, 300].Select(v => "x-session-id: " + v)))
        select new HostileRequest(target.Method, target.Path + query, Encode(encoding, body), encoding.Replace("-mislabelled", "", StringComparison.Ordinal), chunked, header);

    private static Gen<byte[]> Body =>
        Gen.Frequency(
            (6, Document.Select(d => Encoding.UTF8.GetBytes(d))),
            (2, from d in Document from cut in Gen.Double[0, 1] select Encoding.UTF8.GetBytes(d)[..(int)(Encoding.UTF8.GetByteCount(d) * cut)]),
            (2, from d in Document from at in Gen.Double[0, 1] from b in Gen.Byte select Flip(Encoding.UTF8.GetBytes(d), at, b)),
            (1, Gen.Byte.Array[0, 300]),
            (1, Gen.Int[1, 200].Select(depth => Encoding.UTF8.GetBytes($$"""{"model":"echo","messages":[{"role":"user","content":"x"}],"deep":{{new string('[', depth)}}{{new string(']', depth)}}}"""))));

    /// <summary>A request body in the shape of the OpenAI API, with hostile values.</summary>
    private static Gen<string> Document =>
        from model in Gen.OneOf(Models)
        from role in Gen.OneOf("user", "system", "assistant", "tool", "robot", "\\ud800", "")
        from content in Value
        from extra in Gen.Frequency((3, Gen.Const("")), (2, from name in Gen.OneOf("max_tokens", "max_completion_tokens", "n", "temperature", "top_p", "logprobs", "top_logprobs", "stream", "stream_options", "user", "prompt_cache_key", "input", "prompt", "encoding_format", "dimensions", "tools", "model") from value in Value select $",\"{name}\":{value}"))
        from stream in Gen.OneOf("", ",\"stream\":true", ",\"stream\":true,\"stream_options\":{\"include_usage\":true}")
        select $$"""{"model":"{{model}}","messages":[{"role":"{{role}}","content":{{content}}}],"prompt":{{content}},"input":{{content}}{{extra}}{{stream}}}""";

    private static Gen<string> Value =>
        Gen.Frequency(
            (4, Gen.String[Gen.Char["a-zA-Z0-9 "], 0, 30].Select(s => $"\"{s}\"")),
            (1, Gen.OneOf("\"\\ud800\"", "\"\\udfff x\"", "\"\\ud83d\\ude00\"", "\"\\u0000\"", "\"\\x\"", "\"unterminated")),
            (2, Gen.OneOf("0", "-1", "1", "2.5", "1e999", "-1e999", "99999999999999999999999", "0.0000001", "NaN", "128", "129", "2049")),
            (1, Gen.OneOf("null", "true", "false", "{}", "[]", "[[]]", "[1,\"a\"]", "[-1]", "{\"include_usage\":\"yes\"}")),
            (1, Gen.Int[0, 3000].Select(n => "[" + string.Join(",", Enumerable.Repeat("\"a\"", n)) + "]")));

    private static byte[] Flip(byte[] data, double at, byte value)
    {
        if (data.Length > 0)
        {
            data[Math.Min(data.Length - 1, (int)(data.Length * at))] = value;
        }

        return data;
    }

    private static byte[] Encode(string encoding, byte[] body)
    {
        if (encoding is not ("gzip" or "br" or "deflate"))
        {
            return body;
        }

        var output = new MemoryStream();
        using (Stream compressor = encoding switch
        {
            "gzip" => new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true),
            "br" => new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true),
            _ => new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true),
        })
        {
            compressor.Write(body);
        }

        return output.ToArray();
    }

    private sealed record HostileRequest(string Method, string Path, byte[] Payload, string ContentEncoding, bool Chunked, string ExtraHeader)
    {
        public byte[] Body => Chunked ? [.. Encoding.ASCII.GetBytes($"{Payload.Length:x}\r\n"), .. Payload, .. "\r\n0\r\n\r\n"u8.ToArray()] : Payload;

        public string Head()
        {
            var head = new StringBuilder($"{Method} {Path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json");
            head.Append(Chunked ? "\r\nTransfer-Encoding: chunked" : $"\r\nContent-Length: {Payload.Length}");
            if (ContentEncoding.Length > 0)
            {
                head.Append("\r\nContent-Encoding: ").Append(ContentEncoding);
            }

            if (ExtraHeader.Length > 0)
            {
                head.Append("\r\n").Append(ExtraHeader);
            }

            return head.ToString();
        }

        public string Describe() => $"{Method} {Path} enc={ContentEncoding} chunked={Chunked} {ExtraHeader[..Math.Min(40, ExtraHeader.Length)]} body={Encoding.UTF8.GetString(Payload[..Math.Min(300, Payload.Length)])}";
    }
}
