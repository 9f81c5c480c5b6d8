using System.ClientModel;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Cluster.Tests.Contract;
using Cluster.Tests.Support;
using OpenAI.Chat;

namespace Cluster.Tests.EndToEnd;

/// <summary>Every failure the caller can cause or meet reaches it as one OpenAI error, never as a 500.</summary>
[Collection(GatewayFixture.Name)]
public sealed class ErrorsTests(GatewayFixture gateway)
{
    private const string Chat = "/v1/chat/completions";
    private const string Completions = "/v1/completions";
    private const string Embeddings = "/v1/embeddings";
    private const string Invalid = "invalid_request_error";
    private const string User = """[{"role":"user","content":"hi"}]""";

    public static TheoryData<string, string, string?> BadRequests => new()
    {
        // Not JSON, or not an object.
        { Chat, """{"model": "echo", "messages": [""", null },
        { Chat, $$"""{"model":"echo","messages":{{User}}} trailing""", null },
        { Chat, "[]", null },
        { Chat, "\"a string\"", null },
        { Embeddings, "42", null },
        { Completions, "null", null },
        { Chat, "", null },

        // Missing fields.
        { Chat, $$"""{"messages":{{User}}}""", "model" },
        { Completions, """{"prompt":"hi"}""", "model" },
        { Embeddings, """{"input":"hi"}""", "model" },
        { Chat, $$"""{"model":"","messages":{{User}}}""", "model" },
        { Chat, """{"model":"echo"}""", "messages" },
        { Completions, """{"model":"echo"}""", "prompt" },
        { Embeddings, """{"model":"echo"}""", "input" },

        // Wrong types and values.
        { Chat, $$"""{"model":42,"messages":{{User}}}""", "model" },
        { Chat, """{"model":"echo","messages":"hi"}""", "messages" },
        { Chat, """{"model":"echo","messages":[]}""", "messages" },
        { Chat, """{"model":"echo","messages":["hi"]}""", "messages[0]" },
        { Chat, """{"model":"echo","messages":[{"content":"hi"}]}""", "messages[0].role" },
        { Chat, """{"model":"echo","messages":[{"role":"robot","content":"hi"}]}""", "messages[0].role" },
        { Chat, """{"model":"echo","messages":[{"role":"user","content":5}]}""", "messages[0].content" },
        { Chat, $$"""{"model":"echo","messages":{{User}},"stream":"yes"}""", "stream" },
        { Chat, $$"""{"model":"echo","messages":{{User}},"stream":true,"stream_options":"yes"}""", "stream_options" },
        { Chat, $$$"""{"model":"echo","messages":{{{User}}},"stream":true,"stream_options":{"include_usage":"yes"}}""", "stream_options.include_usage" },
        { Chat, $$"""{"model":"echo","messages":{{User}},"max_tokens":-1}""", "max_tokens" },
        { Chat, $$"""{"model":"echo","messages":{{User}},"max_completion_tokens":"ten"}""", "max_completion_tokens" },
        { Chat, $$"""{"model":"echo","messages":{{User}},"n":0}""", "n" },
        { Chat, $$"""{"model":"echo","messages":{{User}},"n":129}""", "n" },
        { Chat, $$"""{"model":"echo","messages":{{User}},"max_tokens":0}""", "max_tokens" },
        { Chat, $$"""{"model":"echo","messages":{{User}},"max_completion_tokens":0}""", "max_completion_tokens" },
        { Chat, $$"""{"model":"echo","messages":{{User}},"max_tokens":1.5}""", "max_tokens" },
        { Completions, """{"model":"echo","prompt":"hi","max_tokens":0}""", "max_tokens" },
        { Chat, $$"""{"model":"echo","messages":{{User}},"temperature":2.01}""", "temperature" },
        { Chat, $$"""{"model":"echo","messages":{{User}},"temperature":-0.1}""", "temperature" },
        { Chat, $$"""{"model":"echo","messages":{{User}},"temperature":"hot"}""", "temperature" },
        { Chat, $$"""{"model":"echo","messages":{{User}},"top_p":1.5}""", "top_p" },
        { Chat, $$"""{"model":"echo","messages":{{User}},"presence_penalty":3}""", "presence_penalty" },
        { Chat, $$"""{"model":"echo","messages":{{User}},"frequency_penalty":-2.5}""", "frequency_penalty" },
        { Chat, $$"""{"model":"echo","messages":{{User}},"logprobs":3}""", "logprobs" },
        { Chat, $$"""{"model":"echo","messages":{{User}},"logprobs":true,"top_logprobs":21}""", "top_logprobs" },
        { Completions, """{"model":"echo","prompt":"hi","logprobs":6}""", "logprobs" },
        { Embeddings, $$"""{"model":"echo","input":[{{string.Join(",", Enumerable.Repeat("\"a\"", 2049))}}]}""", "input" },
        { Embeddings, $$"""{"model":"echo","input":[{{string.Join(",", Enumerable.Repeat("[1]", 2049))}}]}""", "input" },
        { Chat, $$"""{"model":"echo","messages":{{User}},"user":7}""", "user" },
        { Completions, """{"model":"echo","prompt":7}""", "prompt" },
        { Completions, """{"model":"echo","prompt":[]}""", "prompt" },
        { Embeddings, """{"model":"echo","input":42}""", "input" },
        { Embeddings, """{"model":"echo","input":""}""", "input" },
        { Embeddings, """{"model":"echo","input":["a",1]}""", "input" },
        { Embeddings, """{"model":"echo","input":"hi","encoding_format":"hex"}""", "encoding_format" },
        { Embeddings, """{"model":"echo","input":"hi","dimensions":0}""", "dimensions" },
        { Embeddings, """{"model":"echo","input":"hi","stream":true}""", "stream" },
    };

    public static TheoryData<string, string> InRange => new()
    {
        { Chat, $$"""{"model":"echo","messages":{{User}},"max_tokens":1,"n":128,"temperature":2,"top_p":0,"presence_penalty":-2,"logprobs":true,"top_logprobs":20}""" },
        { Chat, $$"""{"model":"echo","messages":{{User}},"max_tokens":null,"temperature":null,"top_p":null,"logprobs":null,"top_logprobs":null}""" },
        { Completions, """{"model":"echo","prompt":"hi","logprobs":5,"max_tokens":3}""" },
        { Embeddings, $$"""{"model":"echo","input":[{{string.Join(",", Enumerable.Repeat("\"a\"", 2048))}}]}""" },
    };

    [Theory]
    [MemberData(nameof(InRange))]
    public async Task Post_ValuesAtTheEdgesOfTheirRanges_AreServed(string path, string body)
    {
        var response = await gateway.PostAsync(path, body);

        Assert.True(response.Status == HttpStatusCode.OK, response.Body);
    }

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Post_InvalidBody_Returns400NamingTheField(string path, string body, string? param)
    {
        var response = await gateway.PostAsync(path, body);

        ErrorAssert.Matches(response, HttpStatusCode.BadRequest, Invalid, null, param);
        Assert.StartsWith("req_", response.Header("x-request-id"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/chat/completions", $$"""{"model":"nope","messages":{{User}}}""")]
    [InlineData("/chat/completions", $$"""{"model":"nope","messages":{{User}},"stream":true}""")]
    [InlineData("/v1/completions", """{"model":"nope","prompt":"hi"}""")]
    [InlineData("/completions", """{"model":"nope","prompt":"hi","stream":true}""")]
    [InlineData("/v1/embeddings", """{"model":"nope","input":"hi"}""")]
    public async Task Post_UnknownModel_Returns404ModelNotFound(string path, string body)
    {
        var response = await gateway.PostAsync(path, body);

        var error = ErrorAssert.Matches(response, HttpStatusCode.NotFound, Invalid, "model_not_found", "model");
        Assert.Contains("'nope'", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain("data:", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompleteChat_SdkWithUnknownModel_ThrowsWith404()
    {
        var error = await Assert.ThrowsAsync<ClientResultException>(() => gateway.Chat("nope").CompleteChatAsync([new UserChatMessage("hi")]));

        Assert.Equal(404, error.Status);
        OpenApiContract.AssertValid("ErrorResponse", error.GetRawResponse()!.Content.ToString());
    }

    [Theory]
    [InlineData("/v1/chat/completions", $$"""{"model":"broken","messages":{{User}}}""")]
    [InlineData("/v1/chat/completions", $$"""{"model":"broken","messages":{{User}},"stream":true}""")]
    [InlineData("/completions", """{"model":"broken","prompt":"hi","stream":true}""")]
    [InlineData("/embeddings", """{"model":"broken","input":"hi"}""")]
    public async Task Post_UpstreamUnreachable_Returns502UpstreamError(string path, string body)
    {
        var response = await gateway.PostAsync(path, body);

        var error = ErrorAssert.Matches(response, HttpStatusCode.BadGateway, "api_error", "upstream_error", null);
        Assert.DoesNotContain("127.0.0.1", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/chat/completions", $$"""{"model":"failing","messages":{{User}}}""")]
    [InlineData("/chat/completions", $$"""{"model":"failing","messages":{{User}},"stream":true}""")]
    [InlineData("/v1/embeddings", """{"model":"failing","input":"hi"}""")]
    public async Task Post_UpstreamFails500_Returns502UpstreamError(string path, string body)
    {
        var response = await gateway.PostAsync(path, body);

        ErrorAssert.Matches(response, HttpStatusCode.BadGateway, "api_error", "upstream_error", null);
    }

    [Theory]
    [InlineData("/v1/chat/completions", $$"""{"model":"rejecting","messages":{{User}}}""")]
    [InlineData("/chat/completions", $$"""{"model":"rejecting","messages":{{User}},"stream":true}""")]
    [InlineData("/v1/completions", """{"model":"rejecting","prompt":"hi"}""")]
    [InlineData("/v1/embeddings", """{"model":"rejecting","input":"hi"}""")]
    public async Task Post_UpstreamRejects400_PassesStatusAndBodyThrough(string path, string body)
    {
        var response = await gateway.PostAsync(path, body);

        var error = ErrorAssert.Matches(response, HttpStatusCode.BadRequest, "fake_error", "fake_failure", null);
        Assert.Equal("upstream-rejecting fails on purpose", error["message"]!.GetValue<string>());
        Assert.StartsWith("req_", response.Header("x-request-id"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/v1/nothing-here")]
    [InlineData("POST", "/nothing-here")]
    [InlineData("GET", "/v1/chat/completions/extra")]
    public async Task Send_UnknownRoute_Returns404OpenAIError(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), gateway.BaseUrl + path);
        using var sent = await gateway.Http.SendAsync(request);
        var response = await RawResponse.ReadAsync(sent);

        ErrorAssert.Matches(response, HttpStatusCode.NotFound, Invalid, "not_found", null);
    }

    [Fact]
    public async Task Get_PostOnlyRoute_Returns405OpenAIError()
    {
        var response = await gateway.GetAsync("/v1/chat/completions");

        ErrorAssert.Matches(response, HttpStatusCode.MethodNotAllowed, Invalid, null, null);
    }

    [Fact]
    public async Task Post_BodyOverTheConfiguredLimit_Returns413()
    {
        await using var small = await GatewayHost.StartAsync(GatewayFixture.EchoOnlyConfiguration(), "--Server:MaxRequestBodyBytes", "1000");
        var big = $$"""{"model":"echo","messages":[{"role":"user","content":"{{new string('x', 2000)}}"}]}""";
        var fits = $$"""{"model":"echo","messages":[{"role":"user","content":"{{new string('x', 500)}}"}]}""";

        using var sized = new StringContent(big, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        var withLength = await PostToAsync(small, sized);
        using var chunked = new UnsizedContent(big);
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var withoutLength = await PostToAsync(small, chunked);
        using var allowed = new StringContent(fits, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        var underLimit = await PostToAsync(small, allowed);

        ErrorAssert.Matches(withLength, HttpStatusCode.RequestEntityTooLarge, Invalid, "request_too_large", null);
        ErrorAssert.Matches(withoutLength, HttpStatusCode.RequestEntityTooLarge, Invalid, "request_too_large", null);
        Assert.Equal("close", withLength.Header("Connection"));
        Assert.Equal("close", withoutLength.Header("Connection"));
        Assert.Equal(HttpStatusCode.OK, underLimit.Status);
    }

    [Theory]
    [InlineData(Chat, $$"""{"model":"echo","messages":{{User}}}""")]
    [InlineData(Chat, $$"""{"model":"fake","messages":{{User}},"stream":true}""")]
    [InlineData(Completions, """{"model":"echo","prompt":"hi"}""")]
    [InlineData(Embeddings, """{"model":"echo","input":"hi"}""")]
    [InlineData(Chat, """{"model":"echo"}""")]
    [InlineData(Chat, $$"""{"model":"nope","messages":{{User}}}""")]
    [InlineData(Chat, $$"""{"model":"broken","messages":{{User}}}""")]
    public async Task Post_AnyModelRequest_CarriesAUniqueRequestId(string path, string body)
    {
        var first = await gateway.PostAsync(path, body);
        var second = await gateway.PostAsync(path, body);

        Assert.Matches("^req_[0-9a-f]{24}$", first.Header("x-request-id"));
        Assert.Matches("^req_[0-9a-f]{24}$", second.Header("x-request-id"));
        Assert.NotEqual(first.Header("x-request-id"), second.Header("x-request-id"));
    }

    private async Task<RawResponse> PostToAsync(GatewayHost host, HttpContent content)
    {
        using var response = await gateway.Http.PostAsync(host.BaseUrl + Chat, content);
        return await RawResponse.ReadAsync(response);
    }
}
