using System.Net;
using System.Text.Json.Nodes;
using Cluster.Tests.Contract;
using Cluster.Tests.Support;

namespace Cluster.Tests.EndToEnd;

/// <summary>Legacy <c>/completions</c>: the OpenAI SDK has no client for it, so these call it over plain HTTP.</summary>
[Collection(GatewayFixture.Name)]
public sealed class CompletionsTests(GatewayFixture gateway)
{
    [Theory]
    [InlineData("/v1/completions", GatewayFixture.FakeModel)]
    [InlineData("/completions", GatewayFixture.FakeAlias)]
    public async Task PostCompletion_FakeModel_ReturnsUpstreamTextUnderRequestedName(string path, string model)
    {
        var marker = GatewayFixture.NewMarker();

        var response = await gateway.PostAsync(path, $$"""{"model":"{{model}}","prompt":"{{marker}}","max_tokens":16,"echo":false,"vendor_field":[1,2]}""");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("application/json", response.ContentType);
        OpenApiContract.AssertValid("CreateCompletionResponse", response.Body);
        var body = response.Json;
        Assert.Equal(model, body["model"]!.GetValue<string>());
        Assert.Equal("text_completion", body["object"]!.GetValue<string>());
        Assert.Equal(gateway.UpstreamReply, body["choices"]![0]!["text"]!.GetValue<string>());
        Assert.Equal(FakeUpstream.PromptTokens, body["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(gateway.UpstreamCompletionTokens, body["usage"]!["completion_tokens"]!.GetValue<int>());
        Assert.StartsWith("req_", response.Header("x-request-id"), StringComparison.Ordinal);
        var received = gateway.UpstreamRequestWith(marker);
        Assert.Equal(GatewayFixture.UpstreamModel, received["model"]!.GetValue<string>());
        Assert.Equal(16, received["max_tokens"]!.GetValue<int>());
        Assert.Equal("[1,2]", received["vendor_field"]!.ToJsonString());
    }

    [Fact]
    public async Task PostCompletion_StreamFromFakeModel_IsFramedAndEveryChunkMatchesContract()
    {
        var marker = GatewayFixture.NewMarker();

        var response = await gateway.PostAsync("/v1/completions", $$"""{"model":"fake","prompt":"{{marker}}","stream":true}""");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("text/event-stream", response.ContentType);
        var events = SseBody.Events(response.Body);
        Assert.Equal(4, events.Count);
        foreach (var data in events)
        {
            OpenApiContract.AssertValid(OpenApiContract.CompletionStreamComponent, data);
        }

        var chunks = SseBody.Chunks(response.Body);
        Assert.Equal(gateway.UpstreamReply, TextOf(chunks));
        Assert.All(chunks, c => Assert.Equal(GatewayFixture.FakeModel, c["model"]!.GetValue<string>()));
        Assert.Empty(SseBody.UsageChunks(response.Body));
        var received = gateway.UpstreamRequestWith(marker);
        Assert.True(received["stream_options"]!["include_usage"]!.GetValue<bool>());
    }

    [Fact]
    public async Task PostCompletion_StreamWithIncludeUsage_ClientGetsOneUsageChunk()
    {
        var response = await gateway.PostAsync(
            "/completions",
            $$$"""{"model":"fake","prompt":"{{{GatewayFixture.NewMarker()}}}","stream":true,"stream_options":{"include_usage":true}}""");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        var usage = Assert.Single(SseBody.UsageChunks(response.Body));
        Assert.Equal(FakeUpstream.PromptTokens, usage["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(gateway.UpstreamCompletionTokens, usage["usage"]!["completion_tokens"]!.GetValue<int>());
        foreach (var data in SseBody.Events(response.Body))
        {
            OpenApiContract.AssertValid(OpenApiContract.CompletionStreamComponent, data);
        }
    }

    [Theory]
    [InlineData("\"say this\"", "say this")]
    [InlineData("[\"say this\"]", "say this")]
    [InlineData("[9906,1917]", "Hello world")]
    [InlineData("[[9906,1917]]", "Hello world")]
    public async Task PostCompletion_EchoModelWithEachPromptShape_EchoesPrompt(string prompt, string said)
    {
        var response = await gateway.PostAsync("/v1/completions", $$"""{"model":"echo","prompt":{{prompt}}}""");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        OpenApiContract.AssertValid("CreateCompletionResponse", response.Body);
        Assert.Equal("This is the echo model. You said: " + said, response.Json["choices"]![0]!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task PostCompletion_EchoModelWithMaxTokens_StopsAtLimitWithFinishReasonLength()
    {
        var response = await gateway.PostAsync("/v1/completions", """{"model":"echo","prompt":"a prompt that makes the reply long","max_tokens":3}""");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        var body = response.Json;
        Assert.Equal("length", body["choices"]![0]!["finish_reason"]!.GetValue<string>());
        Assert.Equal(3, body["usage"]!["completion_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task PostCompletion_StreamFromEchoModel_ReassemblesReplyAndMatchesContract()
    {
        var response = await gateway.PostAsync("/completions", """{"model":"echo","prompt":"streamed legacy completion","stream":true}""");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        foreach (var data in SseBody.Events(response.Body))
        {
            OpenApiContract.AssertValid(OpenApiContract.CompletionStreamComponent, data);
        }

        var chunks = SseBody.Chunks(response.Body);
        Assert.Equal("This is the echo model. You said: streamed legacy completion", TextOf(chunks));
        Assert.Equal("stop", chunks[^1]["choices"]![0]!["finish_reason"]!.GetValue<string>());
        Assert.Empty(SseBody.UsageChunks(response.Body));
    }

    private static string TextOf(IEnumerable<JsonObject> chunks) => string.Concat(chunks
        .SelectMany(c => c["choices"]!.AsArray())
        .Select(choice => choice!["text"]!.GetValue<string>()));
}
