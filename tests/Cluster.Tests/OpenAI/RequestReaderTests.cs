using System.Text;
using Cluster.Api.OpenAI;
using Cluster.Grains.Completions;
using Cluster.Grains.Errors;

namespace Cluster.Tests.OpenAI;

[Trait("Category", "Unit")]
public sealed class RequestReaderTests
{
    private const EndpointKind Chat = EndpointKind.ChatCompletions;
    private const EndpointKind Text = EndpointKind.Completions;
    private const EndpointKind Embed = EndpointKind.Embeddings;
    private const string User = """[{"role":"user","content":"hi"}]""";

    public static TheoryData<EndpointKind, string, string?> Rejected => new()
    {
        // The body as a whole.
        { Chat, "", null },
        { Chat, "   ", null },
        { Chat, "{", null },
        { Chat, """{"model":"m","messages":""", null },
        { Chat, """{"model":"m" "messages":[]}""", null },
        { Chat, $$$"""{"model":"m","messages":{{{User}}}}}""", null },
        { Chat, $$"""{"model":"m","messages":{{User}}} {}""", null },
        { Chat, $$"""{"model":"m","messages":{{User}}} x""", null },
        { Chat, "[]", null },
        { Chat, "\"text\"", null },
        { Chat, "3", null },
        { Chat, "null", null },
        { Chat, $$"""{"model":"m","messages":{{User}},}""", null },

        // model
        { Chat, $$"""{"messages":{{User}}}""", "model" },
        { Chat, $$"""{"model":"","messages":{{User}}}""", "model" },
        { Chat, $$"""{"model":null,"messages":{{User}}}""", "model" },
        { Chat, $$"""{"model":["m"],"messages":{{User}}}""", "model" },

        // stream and stream_options
        { Chat, $$"""{"model":"m","messages":{{User}},"stream":"true"}""", "stream" },
        { Chat, $$"""{"model":"m","messages":{{User}},"stream":1}""", "stream" },
        { Chat, $$"""{"model":"m","messages":{{User}},"stream_options":[]}""", "stream_options" },
        { Chat, $$"""{"model":"m","messages":{{User}},"stream_options":true}""", "stream_options" },
        { Chat, $$$"""{"model":"m","messages":{{{User}}},"stream_options":{"include_usage":1}}""", "stream_options.include_usage" },

        // token limits and n
        { Chat, $$"""{"model":"m","messages":{{User}},"max_tokens":-1}""", "max_tokens" },
        { Chat, $$"""{"model":"m","messages":{{User}},"max_tokens":1.5}""", "max_tokens" },
        { Chat, $$"""{"model":"m","messages":{{User}},"max_tokens":"5"}""", "max_tokens" },
        { Chat, $$"""{"model":"m","messages":{{User}},"max_tokens":99999999999}""", "max_tokens" },
        { Chat, $$"""{"model":"m","messages":{{User}},"max_completion_tokens":-5}""", "max_completion_tokens" },
        { Chat, $$"""{"model":"m","messages":{{User}},"n":0}""", "n" },
        { Chat, $$"""{"model":"m","messages":{{User}},"n":129}""", "n" },
        { Chat, $$"""{"model":"m","messages":{{User}},"n":"2"}""", "n" },

        // user and prompt_cache_key
        { Chat, $$"""{"model":"m","messages":{{User}},"user":5}""", "user" },
        { Chat, $$$"""{"model":"m","messages":{{{User}}},"prompt_cache_key":{}}""", "prompt_cache_key" },

        // messages
        { Chat, """{"model":"m"}""", "messages" },
        { Chat, """{"model":"m","messages":"hi"}""", "messages" },
        { Chat, """{"model":"m","messages":{}}""", "messages" },
        { Chat, """{"model":"m","messages":null}""", "messages" },
        { Chat, """{"model":"m","messages":[]}""", "messages" },
        { Chat, """{"model":"m","messages":[{"role":"user","content":"a"},"b"]}""", "messages[1]" },
        { Chat, """{"model":"m","messages":[{"content":"a"}]}""", "messages[0].role" },
        { Chat, """{"model":"m","messages":[{"role":"user","content":"a"},{"role":"wizard","content":"b"}]}""", "messages[1].role" },
        { Chat, """{"model":"m","messages":[{"role":1,"content":"a"}]}""", "messages[0].role" },
        { Chat, """{"model":"m","messages":[{"role":"user","content":1}]}""", "messages[0].content" },
        { Chat, """{"model":"m","messages":[{"role":"user","content":{"text":"a"}}]}""", "messages[0].content" },

        // prompt
        { Text, """{"model":"m"}""", "prompt" },
        { Text, """{"model":"m","prompt":5}""", "prompt" },
        { Text, """{"model":"m","prompt":null}""", "prompt" },
        { Text, """{"model":"m","prompt":[]}""", "prompt" },
        { Text, """{"model":"m","prompt":["a",1]}""", "prompt" },
        { Text, """{"model":"m","prompt":[1,-2]}""", "prompt" },
        { Text, """{"model":"m","prompt":[1.5]}""", "prompt" },
        { Text, """{"model":"m","prompt":[{"a":1}]}""", "prompt" },
        { Text, """{"model":"m","prompt":[[1],[]]}""", "prompt" },
        { Text, """{"model":"m","prompt":[[1],[-1]]}""", "prompt[1]" },
        { Text, """{"model":"m","prompt":[[1],["a"]]}""", "prompt[1]" },
        { Text, """{"model":"m","prompt":[[1],2]}""", "prompt" },
        { Text, """{"model":"m","messages":[{"role":"user","content":"hi"}]}""", "prompt" },

        // input, encoding_format, dimensions, stream
        { Embed, """{"model":"m"}""", "input" },
        { Embed, """{"model":"m","input":5}""", "input" },
        { Embed, """{"model":"m","input":""}""", "input" },
        { Embed, """{"model":"m","input":[]}""", "input" },
        { Embed, """{"model":"m","input":[true]}""", "input" },
        { Embed, """{"model":"m","input":"a","encoding_format":"hex"}""", "encoding_format" },
        { Embed, """{"model":"m","input":"a","encoding_format":1}""", "encoding_format" },
        { Embed, """{"model":"m","input":"a","dimensions":0}""", "dimensions" },
        { Embed, """{"model":"m","input":"a","dimensions":"8"}""", "dimensions" },
        { Embed, """{"model":"m","input":"a","stream":true}""", "stream" },
    };

    [Theory]
    [MemberData(nameof(Rejected))]
    public void Read_InvalidBody_ThrowsInvalidRequestNamingTheField(EndpointKind kind, string body, string? param)
    {
        var error = Assert.Throws<GatewayException>(() => RequestReader.Read(kind, Encoding.UTF8.GetBytes(body)));

        Assert.Equal(GatewayErrorCode.InvalidRequest, error.Code);
        Assert.Equal(param, error.Param);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void Read_MalformedJson_MessageSaysWhere()
    {
        var error = Assert.Throws<GatewayException>(() => RequestReader.Read(Chat, "{\n\"model\": \"m\",\n\"messages\": [}"u8));

        Assert.Contains("line 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ModelToken_SpansTheStringTokenWithQuotes()
    {
        var body = Encoding.UTF8.GetBytes("""{ "messages": [{"role":"user","content":"\"model\":\"x\""}], "model" :  "gpt-\u0034o" }""");

        var parsed = RequestReader.Read(Chat, body);

        Assert.Equal("gpt-4o", parsed.Model);
        Assert.Equal("\"gpt-\\u0034o\"", Encoding.UTF8.GetString(body, parsed.ModelToken.Start, parsed.ModelToken.Length));
    }

    [Theory]
    [InlineData("", false, StreamUsageOption.Absent)]
    [InlineData(""","stream":false,"stream_options":{"include_usage":true}""", false, StreamUsageOption.Absent)]
    [InlineData(""","stream":null""", false, StreamUsageOption.Absent)]
    [InlineData(""","stream":true""", true, StreamUsageOption.Absent)]
    [InlineData(""","stream":true,"stream_options":{"include_usage":true}""", true, StreamUsageOption.Included)]
    [InlineData(""","stream_options":{"x":1,"include_usage":true},"stream":true""", true, StreamUsageOption.Included)]
    [InlineData(""","stream":true,"stream_options":{"include_usage":false}""", true, StreamUsageOption.Excluded)]
    [InlineData(""","stream":true,"stream_options":{"include_usage":null}""", true, StreamUsageOption.Excluded)]
    [InlineData(""","stream":true,"stream_options":{}""", true, StreamUsageOption.Excluded)]
    [InlineData(""","stream":true,"stream_options":null""", true, StreamUsageOption.Excluded)]
    public void Read_StreamFields_GiveStreamAndUsageOption(string fields, bool stream, StreamUsageOption usage)
    {
        var parsed = RequestReader.Read(Chat, Encoding.UTF8.GetBytes($$"""{"model":"m","messages":{{User}}{{fields}}}"""));

        Assert.Equal(stream, parsed.Stream);
        Assert.Equal(usage, parsed.StreamUsage);
    }

    [Theory]
    [InlineData("", null)]
    [InlineData(""","max_tokens":null""", null)]
    [InlineData(""","max_tokens":1""", 1)]
    [InlineData(""","max_tokens":50""", 50)]
    [InlineData(""","max_completion_tokens":40""", 40)]
    [InlineData(""","max_tokens":50,"max_completion_tokens":40""", 40)]
    [InlineData(""","max_completion_tokens":60,"max_tokens":50""", 50)]
    public void Read_TokenLimits_TakesTheSmallest(string fields, int? expected)
    {
        var parsed = RequestReader.Read(Chat, Encoding.UTF8.GetBytes($$"""{"model":"m","messages":{{User}}{{fields}}}"""));

        Assert.Equal(expected, parsed.MaxTokens);
    }

    [Fact]
    public void Read_UserAndPromptCacheKey_AreRead()
    {
        var parsed = RequestReader.Read(Chat, Encoding.UTF8.GetBytes($$"""{"model":"m","messages":{{User}},"user":"u-1","prompt_cache_key":"k-1","n":null}"""));

        Assert.Equal("u-1", parsed.User);
        Assert.Equal("k-1", parsed.PromptCacheKey);
    }

    [Fact]
    public void Read_UnknownAndRichFields_AreSkipped()
    {
        const string Body = """
            {"model":"m","temperature":0.2,"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"model":{"type":"string"}}}}}],
             "response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{}}},"logit_bias":{"50256":-100},
             "messages":[{"role":"system","content":"s"},{"role":"developer","content":null},
                         {"role":"user","content":[{"type":"text","text":"t"},{"type":"image_url","image_url":{"url":"data:,"}}]},
                         {"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},
                         {"role":"tool","tool_call_id":"c","content":"r"},{"role":"function","name":"f","content":"r"}],
             "vendor":{"nested":[1,{"model":"not-this"}]}, "n":128}
            """;

        var parsed = RequestReader.Read(Chat, Encoding.UTF8.GetBytes(Body));

        Assert.Equal("m", parsed.Model);
        Assert.False(parsed.Stream);
    }

    [Theory]
    [InlineData(Text, """{"model":"m","prompt":""}""")]
    [InlineData(Text, """{"model":"m","prompt":"text"}""")]
    [InlineData(Text, """{"model":"m","prompt":["a","b"]}""")]
    [InlineData(Text, """{"model":"m","prompt":[1,2,0]}""")]
    [InlineData(Text, """{"model":"m","prompt":[[1],[2,3]],"stream":true}""")]
    [InlineData(Embed, """{"model":"m","input":"text","encoding_format":"float","dimensions":null}""")]
    [InlineData(Embed, """{"model":"m","input":["a","b"],"encoding_format":"base64","dimensions":256}""")]
    [InlineData(Embed, """{"model":"m","input":[1,2,3]}""")]
    [InlineData(Embed, """{"model":"m","input":[[1,2],[3]],"stream":false}""")]
    [InlineData(Chat, """{"model":"m","messages":[{"role":"user","content":"a"}],"prompt":5,"input":5,"encoding_format":"hex"}""")]
    public void Read_EveryValidInputShape_IsAccepted(EndpointKind kind, string body)
    {
        var parsed = RequestReader.Read(kind, Encoding.UTF8.GetBytes(body));

        Assert.Equal("m", parsed.Model);
    }
}
