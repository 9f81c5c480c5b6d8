using System.Text;
using System.Text.Json.Nodes;
using Cluster.Grains.Errors;
using Cluster.Relay.Providers.OpenAI;

namespace Cluster.Tests.Providers.OpenAI;

/// <summary>A native backend's Responses answers and events read as chat completions. No cluster.</summary>
[Trait("Category", "Unit")]
public sealed class NativeResponsesTests
{
    [Fact]
    public void ToChatCompletion_IncompleteWithReasoningSummaryRefusalAndUsage_MapsEveryPart()
    {
        var body = """
            {"id":"resp_b","object":"response","created_at":5,"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"model":"up",
             "output":[{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"think"}]},
                       {"type":"message","id":"msg_1","role":"assistant","content":[{"type":"output_text","text":"half","annotations":[]},{"type":"refusal","refusal":"no"}]}],
             "usage":{"input_tokens":9,"input_tokens_details":{"cached_tokens":4},"output_tokens":3,"output_tokens_details":{"reasoning_tokens":2},"total_tokens":12}}
            """;

        var chat = JsonNode.Parse(NativeResponses.ToChatCompletion(Encoding.UTF8.GetBytes(body)))!;

        var choice = chat["choices"]![0]!;
        Assert.Equal("length", choice["finish_reason"]!.GetValue<string>());
        Assert.Equal("half", choice["message"]!["content"]!.GetValue<string>());
        Assert.Equal("no", choice["message"]!["refusal"]!.GetValue<string>());
        Assert.Equal("think", choice["message"]!["reasoning_content"]!.GetValue<string>());
        Assert.Equal("""{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":2}}""", chat["usage"]!.ToJsonString());
        Assert.Equal("up", chat["model"]!.GetValue<string>());
    }

    [Fact]
    public void StreamAdd_ResponseFailedEvent_ThrowsUpstreamFailedNamingDeployment()
    {
        var stream = new NativeResponseStream("native-1");

        var error = Assert.Throws<GatewayException>(() => stream.Add(Encoding.UTF8.GetBytes("""{"type":"response.failed","sequence_number":3,"response":{"id":"resp_b","status":"failed","error":{"code":"server_error","message":"boom"}}}""")));

        Assert.Equal(GatewayErrorCode.UpstreamFailed, error.Code);
        Assert.Contains("native-1", error.Message, StringComparison.Ordinal);
        Assert.Contains("boom", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StreamAdd_TextDeltasThenCompleted_ChunksWithRoleFinishReasonAndUsage()
    {
        var stream = new NativeResponseStream("native-1");

        var chunks = new[]
        {
            """{"type":"response.created","sequence_number":0,"response":{"id":"resp_b","created_at":7,"model":"up","status":"in_progress","output":[]}}""",
            """{"type":"response.output_text.delta","sequence_number":1,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"he"}""",
            """{"type":"response.output_text.delta","sequence_number":2,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"llo"}""",
            """{"type":"response.completed","sequence_number":3,"response":{"id":"resp_b","created_at":7,"model":"up","status":"completed","output":[],"usage":{"input_tokens":2,"output_tokens":1,"total_tokens":3}}}""",
        }.SelectMany(e => stream.Add(Encoding.UTF8.GetBytes(e))).Select(c => JsonNode.Parse(c)!).ToList();

        Assert.Equal(4, chunks.Count);
        Assert.Equal("""{"content":"he","role":"assistant"}""", chunks[0]["choices"]![0]!["delta"]!.ToJsonString());
        Assert.Equal("""{"content":"llo"}""", chunks[1]["choices"]![0]!["delta"]!.ToJsonString());
        Assert.Equal("stop", chunks[2]["choices"]![0]!["finish_reason"]!.GetValue<string>());
        Assert.Empty(chunks[3]["choices"]!.AsArray());
        Assert.Equal(2, chunks[3]["usage"]!["prompt_tokens"]!.GetValue<int>());
        Assert.All(chunks, c => Assert.Equal("up", c["model"]!.GetValue<string>()));
    }
}
