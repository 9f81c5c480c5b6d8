using System.ClientModel;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cluster.Tests.Contract;
using Cluster.Tests.Support;
using OpenAI.Chat;

namespace Cluster.Tests.EndToEnd;

[Collection(GatewayFixture.Name)]
public sealed class ChatCompletionsTests(GatewayFixture gateway)
{
    [Theory]
    [InlineData(GatewayFixture.FakeModel, true)]
    [InlineData(GatewayFixture.FakeAlias, true)]
    [InlineData(GatewayFixture.FakeModel, false)]
    public async Task CompleteChat_SdkOnFakeModel_ReturnsUpstreamReplyUnderRequestedName(string model, bool v1)
    {
        var marker = GatewayFixture.NewMarker();

        ChatCompletion completion = await gateway.Chat(model, v1).CompleteChatAsync([new UserChatMessage(marker)]);

        Assert.Equal(gateway.UpstreamReply, Assert.Single(completion.Content).Text);
        Assert.Equal(model, completion.Model);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(FakeUpstream.PromptTokens, completion.Usage.InputTokenCount);
        Assert.Equal(gateway.UpstreamCompletionTokens, completion.Usage.OutputTokenCount);
        Assert.Equal(FakeUpstream.PromptTokens + gateway.UpstreamCompletionTokens, completion.Usage.TotalTokenCount);
        var received = gateway.UpstreamRequestWith(marker);
        Assert.Equal(GatewayFixture.UpstreamModel, received["model"]!.GetValue<string>());
    }

    [Fact]
    public async Task CompleteChat_SdkOnFakeModel_ClientGetsUpstreamOnlyFields()
    {
        var result = await gateway.Chat(GatewayFixture.FakeModel).CompleteChatAsync([new UserChatMessage(GatewayFixture.NewMarker())]);

        Assert.Equal(gateway.Upstream.Name, result.Value.SystemFingerprint);
        var raw = JsonNode.Parse(result.GetRawResponse().Content.ToString())!;
        Assert.True(raw["vendor_extension"]!["kept"]!.GetValue<bool>());
    }

    [Fact]
    public async Task CompleteChat_SdkOnEchoModel_ReturnsEchoReplyWithUsage()
    {
        ChatCompletion completion = await gateway.Chat(GatewayFixture.EchoModel).CompleteChatAsync(
            [new SystemChatMessage("be brief"), new UserChatMessage("ping from the sdk")]);

        Assert.Equal("This is the echo model. You said: ping from the sdk", Assert.Single(completion.Content).Text);
        Assert.Equal(GatewayFixture.EchoModel, completion.Model);
        Assert.True(completion.Usage.InputTokenCount > 0);
        Assert.True(completion.Usage.OutputTokenCount > 0);
        Assert.Equal(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount);
    }

    [Fact]
    public async Task CompleteChat_SdkWithSlashedAlias_AnswersUnderThatName()
    {
        ChatCompletion completion = await gateway.Chat(GatewayFixture.SlashedAlias).CompleteChatAsync([new UserChatMessage("slash")]);

        Assert.Equal(GatewayFixture.SlashedAlias, completion.Model);
        Assert.Equal("This is the echo model. You said: slash", Assert.Single(completion.Content).Text);
    }

    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/chat/completions")]
    public async Task PostChat_UnknownFields_TravelBothWaysAndBodyMatchesContract(string path)
    {
        var marker = GatewayFixture.NewMarker();
        var request = """{"model":"fake-alias","messages":[{"role":"user","content":"MARKER"}],"vendor_field":{"x":1},"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]}""".Replace("MARKER", marker, StringComparison.Ordinal);

        var response = await gateway.PostAsync(path, request);

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("application/json", response.ContentType);
        OpenApiContract.AssertValid("CreateChatCompletionResponse", response.Body);
        var body = response.Json;
        Assert.Equal(GatewayFixture.FakeAlias, body["model"]!.GetValue<string>());
        Assert.Equal(gateway.Upstream.Name, body["system_fingerprint"]!.GetValue<string>());
        Assert.True(body["vendor_extension"]!["kept"]!.GetValue<bool>());
        Assert.Equal(FakeUpstream.PromptTokens, body["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.StartsWith("req_", response.Header("x-request-id"), StringComparison.Ordinal);

        var received = gateway.UpstreamRequestWith(marker);
        Assert.Equal(GatewayFixture.UpstreamModel, received["model"]!.GetValue<string>());
        Assert.Equal(1, received["vendor_field"]!["x"]!.GetValue<int>());
        Assert.Equal("f", received["tools"]![0]!["function"]!["name"]!.GetValue<string>());
        Assert.Null(received["stream_options"]);
    }

    [Fact]
    public async Task PostChat_EchoModel_BodyMatchesContract()
    {
        var response = await gateway.PostAsync("/v1/chat/completions", """{"model":"echo","messages":[{"role":"user","content":"contract"}],"n":2}""");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        OpenApiContract.AssertValid("CreateChatCompletionResponse", response.Body);
        var choices = response.Json["choices"]!.AsArray();
        Assert.Equal(2, choices.Count);
        Assert.All(choices, c => Assert.Equal("This is the echo model. You said: contract", c!["message"]!["content"]!.GetValue<string>()));
    }

    [Fact]
    public async Task CompleteChatStreaming_SdkOnFakeModel_StreamsUpstreamTextWithOneUsageUpdate()
    {
        var marker = GatewayFixture.NewMarker();
        var text = new System.Text.StringBuilder();
        var usages = new List<ChatTokenUsage>();
        var models = new HashSet<string>();

        await foreach (var update in gateway.Chat(GatewayFixture.FakeAlias).CompleteChatStreamingAsync([new UserChatMessage(marker)]))
        {
            models.Add(update.Model);
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            if (update.Usage is not null)
            {
                usages.Add(update.Usage);
            }
        }

        Assert.Equal(gateway.UpstreamReply, text.ToString());
        Assert.Equal(GatewayFixture.FakeAlias, Assert.Single(models));

        // The SDK asks for usage itself, so it must get the upstream's numbers exactly once.
        var received = gateway.UpstreamRequestWith(marker);
        Assert.True(received["stream"]!.GetValue<bool>());
        Assert.True(received["stream_options"]!["include_usage"]!.GetValue<bool>());
        var usage = Assert.Single(usages);
        Assert.Equal(FakeUpstream.PromptTokens, usage.InputTokenCount);
        Assert.Equal(gateway.UpstreamCompletionTokens, usage.OutputTokenCount);
    }

    [Fact]
    public async Task CompleteChatStreaming_SdkOnEchoModel_StreamsEchoReply()
    {
        var text = new System.Text.StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in gateway.Chat(GatewayFixture.EchoModel, v1: false).CompleteChatStreamingAsync([new UserChatMessage("stream me, please")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal("This is the echo model. You said: stream me, please", text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
    }

    [Fact]
    public async Task PostChat_Stream_IsFramedExactlyAsOpenAIFramesIt()
    {
        var marker = GatewayFixture.NewMarker();

        var response = await gateway.PostAsync("/v1/chat/completions", StreamRequest(marker, ""));

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("text/event-stream", response.ContentType);
        Assert.StartsWith("req_", response.Header("x-request-id"), StringComparison.Ordinal);
        Assert.Matches(@"^(data: \{[^\r\n]*\}\n\n)+data: \[DONE\]\n\n$", response.Body);
        var events = SseBody.Events(response.Body);

        // Three content chunks and the finish chunk; the usage chunk the gateway asked for is not relayed.
        Assert.Equal(4, events.Count);
        foreach (var data in events)
        {
            OpenApiContract.AssertValid("CreateChatCompletionStreamResponse", data);
            using var chunk = JsonDocument.Parse(data);
            Assert.Equal(GatewayFixture.FakeModel, chunk.RootElement.GetProperty("model").GetString());
            Assert.Equal(gateway.Upstream.Name, chunk.RootElement.GetProperty("system_fingerprint").GetString());
            Assert.True(chunk.RootElement.GetProperty("vendor_extension").GetProperty("kept").GetBoolean());
        }

        Assert.Equal(gateway.UpstreamReply, ContentOf(SseBody.Chunks(response.Body)));
    }

    [Fact]
    public async Task PostChat_StreamWithoutStreamOptions_ClientGetsNoUsageButUpstreamWasAskedForIt()
    {
        var marker = GatewayFixture.NewMarker();

        var response = await gateway.PostAsync("/v1/chat/completions", StreamRequest(marker, ""));

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Empty(SseBody.UsageChunks(response.Body));
        Assert.All(SseBody.Chunks(response.Body), c => Assert.NotEmpty(c["choices"]!.AsArray()));
        var received = gateway.UpstreamRequestWith(marker);
        Assert.True(received["stream_options"]!["include_usage"]!.GetValue<bool>());
        Assert.Equal(GatewayFixture.UpstreamModel, received["model"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/v1/chat/completions")]
    [InlineData("/chat/completions")]
    public async Task PostChat_StreamWithIncludeUsage_ClientGetsExactlyOneUsageChunkWithUpstreamNumbers(string path)
    {
        var marker = GatewayFixture.NewMarker();

        var response = await gateway.PostAsync(path, StreamRequest(marker, ""","stream_options":{"include_usage":true}"""));

        Assert.Equal(HttpStatusCode.OK, response.Status);
        var chunks = SseBody.Chunks(response.Body);
        var usage = Assert.Single(SseBody.UsageChunks(response.Body));
        Assert.IsType<JsonObject>(chunks[^1]["usage"]);
        Assert.Empty(usage["choices"]!.AsArray());
        Assert.Equal(FakeUpstream.PromptTokens, usage["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(gateway.UpstreamCompletionTokens, usage["usage"]!["completion_tokens"]!.GetValue<int>());
        Assert.Equal(FakeUpstream.PromptTokens + gateway.UpstreamCompletionTokens, usage["usage"]!["total_tokens"]!.GetValue<int>());
        Assert.Equal(GatewayFixture.FakeModel, usage["model"]!.GetValue<string>());
        foreach (var data in SseBody.Events(response.Body))
        {
            OpenApiContract.AssertValid("CreateChatCompletionStreamResponse", data);
        }
    }

    [Fact]
    public async Task PostChat_StreamWithIncludeUsageFalse_ClientGetsNoUsageAndOtherStreamOptionsSurvive()
    {
        var marker = GatewayFixture.NewMarker();

        var response = await gateway.PostAsync("/v1/chat/completions", StreamRequest(marker, ""","stream_options":{"include_usage":false,"vendor_option":"kept"}"""));

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Empty(SseBody.UsageChunks(response.Body));
        Assert.Equal(gateway.UpstreamReply, ContentOf(SseBody.Chunks(response.Body)));
        var received = gateway.UpstreamRequestWith(marker);
        Assert.True(received["stream_options"]!["include_usage"]!.GetValue<bool>());
        Assert.Equal("kept", received["stream_options"]!["vendor_option"]!.GetValue<string>());
        Assert.Equal(GatewayFixture.UpstreamModel, received["model"]!.GetValue<string>());
    }

    [Fact]
    public async Task PostChat_StreamWithNullStreamOptions_ClientGetsNoUsageButUpstreamWasAskedForIt()
    {
        var marker = GatewayFixture.NewMarker();

        var response = await gateway.PostAsync("/v1/chat/completions", StreamRequest(marker, ""","stream_options":null"""));

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Empty(SseBody.UsageChunks(response.Body));
        var received = gateway.UpstreamRequestWith(marker);
        Assert.True(received["stream_options"]!["include_usage"]!.GetValue<bool>());
    }

    [Fact]
    public async Task PostChat_StreamOnEchoModelWithIncludeUsage_ChunksMatchContractAndReassembleReply()
    {
        var response = await gateway.PostAsync(
            "/chat/completions",
            """{"model":"echo","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"a somewhat longer sentence to be streamed in pieces"}]}""");

        Assert.Equal(HttpStatusCode.OK, response.Status);
        foreach (var data in SseBody.Events(response.Body))
        {
            OpenApiContract.AssertValid("CreateChatCompletionStreamResponse", data);
        }

        var chunks = SseBody.Chunks(response.Body);
        Assert.Equal("This is the echo model. You said: a somewhat longer sentence to be streamed in pieces", ContentOf(chunks));
        var usage = Assert.Single(SseBody.UsageChunks(response.Body));
        Assert.True(usage["usage"]!["completion_tokens"]!.GetValue<int>() > 0);
        Assert.All(chunks, c => Assert.Equal(GatewayFixture.EchoModel, c["model"]!.GetValue<string>()));
    }

    private static string StreamRequest(string marker, string extra) =>
        $$"""{"model":"fake","stream":true{{extra}},"messages":[{"role":"user","content":"{{marker}}"}]}""";

    private static string ContentOf(IEnumerable<JsonObject> chunks) => string.Concat(chunks
        .SelectMany(c => c["choices"]!.AsArray())
        .Select(choice => choice!["delta"]?["content"]?.GetValue<string>() ?? ""));
}
