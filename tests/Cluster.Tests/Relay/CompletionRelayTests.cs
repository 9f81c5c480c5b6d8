using System.Text.Json;
using System.Text.Json.Nodes;
using Cluster.Grains.Completions;
using Cluster.Grains.Models;
using Cluster.Relay.Completions;
using Cluster.Relay.Requests;
using Cluster.Grains.Errors;
using Cluster.Tests.Support;

namespace Cluster.Tests.Relay;

[Collection(ClusterFixture.Name)]
public sealed class CompletionRelayTests(ClusterFixture cluster) : IAsyncLifetime
{
    private RelayHost _host = null!;
    private ModelDefinition _echo = null!;
    private ModelDefinition _unreachable = null!;

    public async Task InitializeAsync()
    {
        _host = new RelayHost(cluster.Client);
        var catalog = new CatalogSnapshot(await cluster.Client.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key).GetCatalogAsync());
        catalog.TryResolve(ClusterFixture.EchoModel, out var echo);
        catalog.TryResolve(ClusterFixture.UnreachableModel, out var unreachable);
        (_echo, _unreachable) = (echo!, unreachable!);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private const string Preamble = "This is the echo model. You said: ";

    [Fact]
    public async Task CompleteAsync_EchoModel_ReturnsEchoReplyWithUsage()
    {
        var request = CompletionRequests.Chat(ClusterFixture.EchoModel, "hello grain");

        var result = await CompleteAsync(request, _echo);

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

        var result = await CompleteAsync(request, _echo);

        Assert.Equal(ClusterFixture.EchoAlias, JsonNode.Parse(result.Body)!["model"]!.GetValue<string>());
    }

    [Fact]
    public async Task StreamAsync_EchoModel_YieldsChunksThenCompletes()
    {
        var request = CompletionRequests.Chat(ClusterFixture.EchoModel, "stream through the grain", stream: true);

        var events = await _host.CollectAsync(request, _echo);

        Assert.True(events.Count > 3);
        Assert.Equal(RelayEventKind.Started, events[0].Kind);
        Assert.Equal(ClusterFixture.EchoDeployment, events[0].DeploymentId);
        Assert.All(events.Skip(1).SkipLast(1), e => Assert.Equal(RelayEventKind.Chunk, e.Kind));

        // The last event carries the usage for the front-end; it is never sent on.
        var finished = events[^1];
        Assert.Equal(RelayEventKind.Finished, finished.Kind);
        Assert.True(finished.Usage!.CompletionTokens > 0);
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

        var events = await _host.CollectAsync(request, _echo);

        var chunks = Chunks(events);
        var usage = Assert.Single(chunks, c => c["usage"] is JsonObject);
        Assert.Same(chunks[^1], usage);
        Assert.Empty(usage["choices"]!.AsArray());
        Assert.Equal(events[^1].Usage!.CompletionTokens, usage["usage"]!["completion_tokens"]!.GetValue<int>());
    }

    [Fact]
    public async Task CompleteAsync_FiftyConcurrentCallsOnOneKey_AllSucceedWithTheirOwnReply()
    {
        var inputs = Enumerable.Range(0, 50).Select(i => $"concurrent request {i}").ToArray();

        var results = await Task.WhenAll(inputs.Select(input => CompleteAsync(CompletionRequests.Chat(ClusterFixture.EchoModel, input), _echo)));

        for (var i = 0; i < inputs.Length; i++)
        {
            Assert.Equal(Preamble + inputs[i], JsonNode.Parse(results[i].Body)!["choices"]![0]!["message"]!["content"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task StreamAsync_TwentyConcurrentStreamsOnOneKey_EachGetsItsOwnText()
    {
        var inputs = Enumerable.Range(0, 20).Select(i => $"stream number {i} of twenty").ToArray();

        var streams = await Task.WhenAll(inputs.Select(input =>
            _host.CollectAsync(CompletionRequests.Completion(ClusterFixture.EchoModel, input, stream: true), _echo)));

        for (var i = 0; i < inputs.Length; i++)
        {
            var text = string.Concat(Chunks(streams[i]).Select(c => c["choices"]![0]!["text"]!.GetValue<string>()));
            Assert.Equal(Preamble + inputs[i], text);
        }
    }

    [Fact]
    public async Task CompleteAsync_UnreachableDeployment_ThrowsUpstreamFailed()
    {
        var request = CompletionRequests.Chat(ClusterFixture.UnreachableModel, "hi");

        var error = await Assert.ThrowsAsync<GatewayException>(() => CompleteAsync(request, _unreachable));

        Assert.Equal(GatewayErrorCode.UpstreamFailed, error.Code);
    }

    [Fact]
    public async Task StreamAsync_UnreachableDeployment_ThrowsUpstreamFailedOnFirstPull()
    {
        var request = CompletionRequests.Chat(ClusterFixture.UnreachableModel, "hi", stream: true);
        await using var events = _host.RunAsync(request, _unreachable).GetAsyncEnumerator();

        var error = await Assert.ThrowsAsync<GatewayException>(async () => await events.MoveNextAsync());

        Assert.Equal(GatewayErrorCode.UpstreamFailed, error.Code);
        Assert.DoesNotContain("127.0.0.1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompleteAsync_EmbeddingsOnEchoModel_ReturnsOneVectorPerInput()
    {
        var request = CompletionRequests.Create(EndpointKind.Embeddings, ClusterFixture.EchoModel, """{"model":"echo","input":["x","y"]}""", stream: false, StreamUsageOption.Absent);

        var result = await CompleteAsync(request, _echo);

        using var body = JsonDocument.Parse(result.Body);
        Assert.Equal(2, body.RootElement.GetProperty("data").GetArrayLength());
        Assert.Equal(result.Usage!.PromptTokens, body.RootElement.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(ClusterFixture.EchoModel, body.RootElement.GetProperty("model").GetString());
    }

    /// <summary>A non-streamed request through the relay: the body, its usage and the deployment that served it.</summary>
    private async Task<(byte[] Body, TokenUsage? Usage, string? DeploymentId)> CompleteAsync(CompletionRequest request, ModelDefinition model)
    {
        var events = await _host.CollectAsync(request, model);
        Assert.Equal([RelayEventKind.Started, RelayEventKind.Chunk, RelayEventKind.Finished], events.Select(e => e.Kind));
        return (events[1].Data!, events[2].Usage, events[0].DeploymentId);
    }

    /// <summary>The events the client would see, parsed.</summary>
    private static List<JsonNode> Chunks(IEnumerable<RelayEvent> events) =>
        [.. events.Where(e => e.Kind == RelayEventKind.Chunk).Select(e => JsonNode.Parse(e.Data!)!)];
}
