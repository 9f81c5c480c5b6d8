using System.Text.Json;
using System.Text.Json.Nodes;
using Cluster.Grains.Completions;
using Cluster.Grains.Errors;
using Cluster.Tests.Support;

namespace Cluster.Tests.Grains;

[Collection(ClusterFixture.Name)]
public sealed class ModelGrainTests(ClusterFixture cluster)
{
    private const string Preamble = "This is the echo model. You said: ";

    [Fact]
    public async Task CompleteAsync_EchoModel_ReturnsEchoReplyWithUsage()
    {
        var request = CompletionRequests.Chat(ClusterFixture.EchoModel, "hello grain");

        var result = await NewGrain(ClusterFixture.EchoModel).CompleteAsync(request);

        var body = JsonNode.Parse(result.Body)!;
        Assert.Equal(Preamble + "hello grain", body["choices"]![0]!["message"]!["content"]!.GetValue<string>());
        Assert.Equal(ClusterFixture.EchoModel, body["model"]!.GetValue<string>());
        Assert.Equal(ClusterFixture.EchoDeployment, result.DeploymentId);
        var usage = Assert.IsType<TokenUsage>(result.Usage);
        Assert.True(usage.PromptTokens > 0);
        Assert.True(usage.CompletionTokens > 0);
        Assert.Equal(usage.PromptTokens + usage.CompletionTokens, usage.TotalTokens);
        Assert.False(usage.Estimated);
        Assert.Equal(usage.CompletionTokens, body["usage"]!["completion_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task CompleteAsync_RequestedByAlias_AnswersUnderTheAlias()
    {
        var request = CompletionRequests.Chat(ClusterFixture.EchoModel, "by alias") with { RequestedModel = ClusterFixture.EchoAlias };

        var result = await NewGrain(ClusterFixture.EchoModel).CompleteAsync(request);

        Assert.Equal(ClusterFixture.EchoAlias, JsonNode.Parse(result.Body)!["model"]!.GetValue<string>());
    }

    [Fact]
    public async Task StreamAsync_EchoModel_YieldsChunksThenCompletes()
    {
        var request = CompletionRequests.Chat(ClusterFixture.EchoModel, "stream through the grain", stream: true);

        var events = await CollectAsync(NewGrain(ClusterFixture.EchoModel).StreamAsync(request));

        Assert.True(events.Count > 3);
        Assert.Equal(ClusterFixture.EchoDeployment, events[0].DeploymentId);
        Assert.All(events.Skip(1), e => Assert.Null(e.DeploymentId));

        // The last event is the trailer with the usage for the front-end; it is never sent on.
        var trailer = events[^1];
        Assert.True(trailer.IsTrailer);
        Assert.True(trailer.Usage!.CompletionTokens > 0);
        Assert.Single(events, e => e.IsTrailer);
        var chunks = Chunks(events);
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c["object"]!.GetValue<string>()));
        Assert.All(chunks, c => Assert.Null(c["usage"]));
        var text = string.Concat(chunks.Select(c => c["choices"]![0]!["delta"]!["content"]?.GetValue<string>() ?? ""));
        Assert.Equal(Preamble + "stream through the grain", text);
        Assert.Equal("stop", chunks[^1]["choices"]![0]!["finish_reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task StreamAsync_IncludeUsage_EndsWithOneUsageChunk()
    {
        var request = CompletionRequests.Chat(ClusterFixture.EchoModel, "count me", stream: true, StreamUsageOption.Included);

        var events = await CollectAsync(NewGrain(ClusterFixture.EchoModel).StreamAsync(request));

        var chunks = Chunks(events);
        var usage = Assert.Single(chunks, c => c["usage"] is JsonObject);
        Assert.Same(chunks[^1], usage);
        Assert.Empty(usage["choices"]!.AsArray());
        Assert.Equal(events[^1].Usage!.CompletionTokens, usage["usage"]!["completion_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task CompleteAsync_FiftyConcurrentCallsOnOneKey_AllSucceedWithTheirOwnReply()
    {
        // The grain is [Reentrant]: requests wait on backends, not on each other.
        var grain = NewGrain(ClusterFixture.EchoModel);
        var inputs = Enumerable.Range(0, 50).Select(i => $"concurrent request {i}").ToArray();

        var results = await Task.WhenAll(inputs.Select(input => grain.CompleteAsync(CompletionRequests.Chat(ClusterFixture.EchoModel, input))));

        for (var i = 0; i < inputs.Length; i++)
        {
            Assert.Equal(Preamble + inputs[i], JsonNode.Parse(results[i].Body)!["choices"]![0]!["message"]!["content"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task StreamAsync_TwentyConcurrentStreamsOnOneKey_EachGetsItsOwnText()
    {
        var grain = NewGrain(ClusterFixture.EchoModel);
        var inputs = Enumerable.Range(0, 20).Select(i => $"stream number {i} of twenty").ToArray();

        var streams = await Task.WhenAll(inputs.Select(input =>
            CollectAsync(grain.StreamAsync(CompletionRequests.Completion(ClusterFixture.EchoModel, input, stream: true)))));

        for (var i = 0; i < inputs.Length; i++)
        {
            var text = string.Concat(Chunks(streams[i]).Select(c => c["choices"]![0]!["text"]!.GetValue<string>()));
            Assert.Equal(Preamble + inputs[i], text);
        }
    }

    [Fact]
    public async Task CompleteAsync_UnknownModel_ThrowsModelNotFound()
    {
        var request = CompletionRequests.Chat("no-such-model", "hi");

        var error = await Assert.ThrowsAsync<GatewayException>(() => NewGrain("no-such-model").CompleteAsync(request));

        Assert.Equal(GatewayErrorCode.ModelNotFound, error.Code);
        Assert.Equal("model", error.Param);
    }

    [Fact]
    public async Task StreamAsync_UnknownModel_ThrowsModelNotFoundOnFirstPull()
    {
        var request = CompletionRequests.Chat("no-such-model", "hi", stream: true);
        await using var events = NewGrain("no-such-model").StreamAsync(request).GetAsyncEnumerator();

        var error = await Assert.ThrowsAsync<GatewayException>(async () => await events.MoveNextAsync());

        Assert.Equal(GatewayErrorCode.ModelNotFound, error.Code);
    }

    [Fact]
    public async Task CompleteAsync_UnreachableDeployment_ThrowsUpstreamFailed()
    {
        var request = CompletionRequests.Chat(ClusterFixture.UnreachableModel, "hi");

        var error = await Assert.ThrowsAsync<GatewayException>(() => NewGrain(ClusterFixture.UnreachableModel).CompleteAsync(request));

        Assert.Equal(GatewayErrorCode.UpstreamFailed, error.Code);
    }

    [Fact]
    public async Task StreamAsync_UnreachableDeployment_ThrowsUpstreamFailedOnFirstPull()
    {
        var request = CompletionRequests.Chat(ClusterFixture.UnreachableModel, "hi", stream: true);
        await using var events = NewGrain(ClusterFixture.UnreachableModel).StreamAsync(request).GetAsyncEnumerator();

        var error = await Assert.ThrowsAsync<GatewayException>(async () => await events.MoveNextAsync());

        Assert.Equal(GatewayErrorCode.UpstreamFailed, error.Code);
        Assert.DoesNotContain("127.0.0.1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompleteAsync_EmbeddingsOnEchoModel_ReturnsOneVectorPerInput()
    {
        var request = CompletionRequests.Create(EndpointKind.Embeddings, ClusterFixture.EchoModel, """{"model":"echo","input":["x","y"]}""", stream: false, StreamUsageOption.Absent);

        var result = await NewGrain(ClusterFixture.EchoModel).CompleteAsync(request);

        using var body = JsonDocument.Parse(result.Body);
        Assert.Equal(2, body.RootElement.GetProperty("data").GetArrayLength());
        Assert.Equal(result.Usage!.PromptTokens, body.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(ClusterFixture.EchoModel, body.RootElement.GetProperty("model").GetString());
    }

    /// <summary>A fresh shard key, so each test starts its own activations.</summary>
    private IModelGrain NewGrain(string model) =>
        cluster.Client.GetGrain<IModelGrain>(IModelGrain.KeyOf(model, Random.Shared.Next(1_000, int.MaxValue)));

    /// <summary>The events the client would see, parsed.</summary>
    private static List<JsonNode> Chunks(IEnumerable<StreamEvent> events) =>
        [.. events.Where(e => !e.IsTrailer).Select(e => JsonNode.Parse(e.Data)!)];

    private static async Task<List<StreamEvent>> CollectAsync(IAsyncEnumerable<StreamEvent> stream)
    {
        var events = new List<StreamEvent>();
        await foreach (var item in stream)
        {
            events.Add(item);
        }

        return events;
    }
}
