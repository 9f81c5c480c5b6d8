using System.Text;
using System.Text.Json;
using Cluster.Grains.Completions;
using Cluster.Relay.Wire;
using Cluster.Relay.Completions;

namespace Cluster.Tests.Relay;

[Trait("Category", "Unit")]
public sealed class ResponseRewriterTests
{
    private static readonly byte[] Public = JsonNames.Encode("public-name");

    [Fact]
    public void Rewrite_ChatCompletion_ReplacesOnlyTheTopLevelModelByteForByte()
    {
        const string Body = """
            {"id":"x","object":"chat.completion","created":1,"model":"upstream/model-7b",
              "metadata":{"model":"nested-stays"},
              "choices":[{"index":0,"message":{"role":"assistant","content":"\"model\":\"upstream/model-7b\""},"finish_reason":"stop"}],
              "system_fingerprint":"fp", "vendor":{"a":[1,2,{"model":"x"}]}}
            """;

        var rewritten = Rewrite(Body, out var facts);

        var expected = Body.Replace("\"model\":\"upstream/model-7b\",", "\"model\":\"public-name\",", StringComparison.Ordinal);
        Assert.Equal(expected, rewritten);
        Assert.True(facts.HasChoices);
        Assert.False(facts.HasError);
    }

    [Fact]
    public void Rewrite_ModelAfterChoicesAndWhitespace_IsFoundAndReplaced()
    {
        const string Body = "{ \"choices\" : [] ,\n  \"model\"  :  \"m\" , \"usage\": null }";

        var rewritten = Rewrite(Body, out var facts);

        Assert.Equal("{ \"choices\" : [] ,\n  \"model\"  :  \"public-name\" , \"usage\": null }", rewritten);
        Assert.Null(facts.Usage);
        Assert.False(facts.HasChoices);
    }

    [Fact]
    public void Rewrite_NameThatNeedsEscaping_ProducesValidJsonWithThatName()
    {
        const string Name = "quote\" back\\slash / é 模型";

        var rewritten = ResponseRewriter.Rewrite("""{"model":"m","choices":[]}"""u8, JsonNames.Encode(Name), out _);

        using var document = JsonDocument.Parse(rewritten);
        Assert.Equal(Name, document.RootElement.GetProperty("model").GetString());
    }

    [Fact]
    public void Rewrite_Usage_ReadsAllCountsIncludingDetails()
    {
        const string Body = """
            {"model":"m","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":22,"total_tokens":33,
              "prompt_tokens_details":{"cached_tokens":4,"audio_tokens":0},
              "completion_tokens_details":{"reasoning_tokens":5,"accepted_prediction_tokens":0}}}
            """;

        Rewrite(Body, out var facts);

        var usage = Assert.IsType<TokenUsage>(facts.Usage);
        Assert.Equal(11, usage.PromptTokens);
        Assert.Equal(22, usage.CompletionTokens);
        Assert.Equal(33, usage.TotalTokens);
        Assert.Equal(4, usage.CachedTokens);
        Assert.Equal(5, usage.ReasoningTokens);
        Assert.False(usage.Estimated);
    }

    [Fact]
    public void Rewrite_UsageWithoutTotal_TotalIsPromptPlusCompletion()
    {
        Rewrite("""{"usage":{"prompt_tokens":3,"completion_tokens":4},"model":"m"}""", out var facts);

        Assert.Equal(7, facts.Usage!.TotalTokens);
        Assert.Null(facts.Usage.CachedTokens);
    }

    [Fact]
    public void Rewrite_UsageChunkOfAStream_HasUsageAndNoChoices()
    {
        Rewrite("""{"id":"c","object":"chat.completion.chunk","model":"m","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}""", out var facts);

        Assert.NotNull(facts.Usage);
        Assert.False(facts.HasChoices);
    }

    [Fact]
    public void Rewrite_ContentChunkWithNullUsage_HasChoicesAndNoUsage()
    {
        var text = new StringBuilder();

        ResponseRewriter.Rewrite(
            """{"model":"m","choices":[{"index":0,"delta":{"content":"Hel"}},{"index":1,"delta":{"content":"lo","tool_calls":[{"function":{"arguments":"{}"}}]}}],"usage":null}"""u8,
            Public,
            out var facts,
            text);

        Assert.True(facts.HasChoices);
        Assert.Null(facts.Usage);
        Assert.Equal("Hello{}", text.ToString());
        Assert.Equal(7, facts.ContentChars);
    }

    [Fact]
    public void Rewrite_TextCompletionChoices_CountsTheText()
    {
        var text = new StringBuilder();

        ResponseRewriter.Rewrite("""{"model":"m","choices":[{"index":0,"text":"four","logprobs":null,"finish_reason":null}]}"""u8, Public, out var facts, text);

        Assert.Equal("four", text.ToString());
        Assert.Equal(4, facts.ContentChars);
    }

    [Fact]
    public void Rewrite_EmbeddingResponse_CountsAsAnswerAndReadsUsage()
    {
        var rewritten = Rewrite("""{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,0.2]}],"model":"m","usage":{"prompt_tokens":2,"total_tokens":2}}""", out var facts);

        Assert.True(facts.HasChoices);
        Assert.Equal(2, facts.Usage!.PromptTokens);
        Assert.Contains("\"model\":\"public-name\"", rewritten, StringComparison.Ordinal);
    }

    [Fact]
    public void Rewrite_ErrorBody_IsFlaggedAndKept()
    {
        const string Body = """{"error":{"message":"context too long","type":"invalid_request_error","param":null,"code":"context_length_exceeded"}}""";

        var rewritten = Rewrite(Body, out var facts);

        Assert.Equal(Body, rewritten);
        Assert.True(facts.HasError);
        Assert.False(facts.HasChoices);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("""{"model":"m","choices":[""")]
    [InlineData("""[{"model":"m"}]""")]
    [InlineData("")]
    [InlineData("""{"model":null,"choices":[]}""")]
    [InlineData("""{"choices":[]}""")]
    public void Rewrite_NoModelStringToRewrite_ReturnsInputUnchanged(string body)
    {
        var rewritten = Rewrite(body, out _);

        Assert.Equal(body, rewritten);
    }

    [Fact]
    public void Rewrite_TruncatedJson_ReportsNoFacts()
    {
        Rewrite("""{"usage":{"prompt_tokens":1,"completion_tokens":2},"model":"m","choices":[{"delta":""", out var facts);

        Assert.Null(facts.Usage);
        Assert.False(facts.HasChoices);
    }

    private static string Rewrite(string body, out ResponseFacts facts) =>
        Encoding.UTF8.GetString(ResponseRewriter.Rewrite(Encoding.UTF8.GetBytes(body), Public, out facts));
}
