using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Cluster.Grains.Completions;
using Cluster.Relay.Wire;
using Cluster.Relay.Completions;
using Cluster.Relay.Requests;
using Cluster.Tests.Support;

namespace Cluster.Tests.Relay;

[Trait("Category", "Unit")]
public sealed class UpstreamBodyTests
{
    private const string Upstream = "org/upstream-model";

    [Fact]
    public void Build_NotStreamed_SplicesModelAndKeepsEveryOtherByte()
    {
        const string Body = "{ \"messages\": [{\"role\":\"user\",\"content\":\"é \\u00e9 \\\"model\\\":\\\"public\\\"\"}],\n \"model\" : \"public\", \"vendor_field\": {\"x\": 1.50}, \"tools\": [] }";

        var built = Build(Body, stream: false, StreamUsageOption.Absent);

        Assert.Equal(Body.Replace("\"model\" : \"public\"", "\"model\" : \"org/upstream-model\"", StringComparison.Ordinal), built);
    }

    [Fact]
    public void Build_StreamedWithoutStreamOptions_AsksForUsageOnce()
    {
        const string Body = """  {"model":"public","stream":true,"messages":[{"role":"user","content":"hi"}]}""";

        var built = Build(Body, stream: true, StreamUsageOption.Absent);

        Assert.Equal("""  {"stream_options":{"include_usage":true},"model":"org/upstream-model","stream":true,"messages":[{"role":"user","content":"hi"}]}""", built);
        using var document = JsonDocument.Parse(built);
        Assert.Single(document.RootElement.EnumerateObject(), p => p.Name == "stream_options");
    }

    [Fact]
    public void Build_StreamedWithIncludeUsage_LeavesClientOptionsAsSent()
    {
        const string Body = """{"stream":true,"stream_options":{"include_usage":true,"x":1},"model":"public","prompt":"p"}""";

        var built = Build(Body, stream: true, StreamUsageOption.Included);

        Assert.Equal("""{"stream":true,"stream_options":{"include_usage":true,"x":1},"model":"org/upstream-model","prompt":"p"}""", built);
    }

    [Theory]
    [InlineData("""{"model":"public","stream":true,"stream_options":{"include_usage":false,"continuous_usage_stats":true},"messages":[],"extra":{"a":[1]}}""")]
    [InlineData("""{"model":"public","stream":true,"stream_options":{},"messages":[],"extra":{"a":[1]}}""")]
    [InlineData("""{"model":"public","stream":true,"stream_options":null,"messages":[],"extra":{"a":[1]}}""")]
    public void Build_StreamedWithUsageExcluded_SetsIncludeUsageAndKeepsTheRest(string body)
    {
        var built = JsonNode.Parse(Build(body, stream: true, StreamUsageOption.Excluded))!.AsObject();
        var original = JsonNode.Parse(body)!.AsObject();

        Assert.Equal(Upstream, built["model"]!.GetValue<string>());
        Assert.True(built["stream_options"]!["include_usage"]!.GetValue<bool>());
        if (original["stream_options"]?["continuous_usage_stats"] is { } kept)
        {
            Assert.Equal(kept.GetValue<bool>(), built["stream_options"]!["continuous_usage_stats"]!.GetValue<bool>());
        }

        Assert.True(JsonNode.DeepEquals(original["extra"], built["extra"]));
        Assert.True(built["stream"]!.GetValue<bool>());
        Assert.Equal(original.Count, built.Count);
    }

    [Fact]
    public void Build_UpstreamNameNeedingEscapes_ProducesThatName()
    {
        const string Name = "a \"quoted\" name\\é";
        var request = CompletionRequests.Create(EndpointKind.ChatCompletions, "public", """{"model":"public","messages":[]}""", stream: false, StreamUsageOption.Absent);

        var built = UpstreamBody.Build(request, Name);

        Assert.Equal(Name, JsonNode.Parse(built)!["model"]!.GetValue<string>());
    }

    private static string Build(string body, bool stream, StreamUsageOption usage)
    {
        var request = CompletionRequests.Create(EndpointKind.ChatCompletions, "public", body, stream, usage);
        return Encoding.UTF8.GetString(UpstreamBody.Build(request, Upstream));
    }
}
