using System.Net;
using System.Text.Json.Nodes;
using Cluster.Tests.Contract;
using Cluster.Tests.Support;
using OpenAI.Responses;

#pragma warning disable OPENAI001 // The SDK marks its Responses client experimental.

namespace Cluster.Tests.Responses;

[Collection(ResponsesFixture.Name)]
public sealed class ResponsesTests(ResponsesFixture fixture)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task CreateResponse_Sdk_ReturnsUpstreamTextStoredAndMatchingContract(bool v1)
    {
        var marker = GatewayFixture.NewMarker();
        var client = fixture.Client(v1: v1);

        var result = await client.CreateResponseAsync(new CreateResponseOptions(ResponsesFixture.Model, [ResponseItem.CreateUserMessageItem(marker)])
        {
            Instructions = "be brief",
            Metadata = { ["case"] = "sdk" },
        });

        var response = result.Value;
        var (upstream, received) = Assert.Single(fixture.ReceivedWith(marker));
        Assert.Equal(ResponsesFixture.ReplyOf(upstream), response.GetOutputText());
        Assert.Equal(ResponseStatus.Completed, response.Status);
        Assert.StartsWith("resp_", response.Id, StringComparison.Ordinal);
        Assert.Equal(ResponsesFixture.Model, response.Model);
        Assert.Equal("sdk", response.Metadata["case"]);
        Assert.Equal(FakeUpstream.PromptTokens, response.Usage.InputTokenCount);
        Assert.Equal(upstream.Chunks * FakeUpstream.CompletionTokensPerChunk, response.Usage.OutputTokenCount);
        var raw = result.GetRawResponse().Content.ToString();
        OpenApiContract.AssertValid("Response", raw);

        // The backend got a chat completion: the instructions as a system message, then the input.
        var messages = received["messages"]!.AsArray();
        Assert.Equal("""[{"role":"system","content":"be brief"},{"role":"user","content":"MARKER"}]""".Replace("MARKER", marker, StringComparison.Ordinal), messages.ToJsonString());
        Assert.Null(received["metadata"]);

        // Stored: GET answers the same object.
        var fetched = await client.GetResponseAsync(response.Id);
        Assert.Equal(raw, fetched.GetRawResponse().Content.ToString());
    }

    [Fact]
    public async Task CreateResponse_Streamed_EmitsEventSequenceValidAgainstSchemas()
    {
        var marker = GatewayFixture.NewMarker();

        var raw = await fixture.PostAsync("/v1/responses", new JsonObject { ["model"] = ResponsesFixture.Model, ["input"] = marker, ["stream"] = true });

        Assert.Equal(HttpStatusCode.OK, raw.Status);
        Assert.StartsWith("text/event-stream", raw.ContentType, StringComparison.Ordinal);
        var events = ResponseEvents.Parse(raw.Body);
        var (upstream, received) = Assert.Single(fixture.ReceivedWith(marker));
        Assert.True(received["stream"]!.GetValue<bool>());
        var deltas = Enumerable.Repeat("response.output_text.delta", upstream.Chunks);
        Assert.Equal(
            ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added", .. deltas,
             "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"],
            ResponseEvents.Types(events));
        var completed = events[^1]["response"]!.AsObject();
        Assert.Equal("completed", completed["status"]!.GetValue<string>());
        Assert.Equal(ResponsesFixture.ReplyOf(upstream), events[^4]["text"]!.GetValue<string>());
        Assert.Equal(FakeUpstream.PromptTokens, completed["usage"]!["input_tokens"]!.GetValue<int>());

        // What was streamed is what is stored.
        var id = completed["id"]!.GetValue<string>();
        var stored = await fixture.SendAsync(HttpMethod.Get, "/v1/responses/" + id);
        Assert.Equal(completed.ToJsonString(), stored.Json.ToJsonString());
    }

    [Fact]
    public async Task CreateResponse_StreamBrokenByBackend_EndsWithResponseFailedAndIsNotStored()
    {
        foreach (var upstream in fixture.Upstreams)
        {
            upstream.FailAfterChunks = 1;
        }

        try
        {
            var raw = await fixture.PostAsync("/v1/responses", new JsonObject { ["model"] = ResponsesFixture.Model, ["input"] = GatewayFixture.NewMarker(), ["stream"] = true });

            var events = ResponseEvents.Parse(raw.Body);
            Assert.Equal("response.failed", events[^1]["type"]!.GetValue<string>());
            var failed = events[^1]["response"]!;
            Assert.Equal("failed", failed["status"]!.GetValue<string>());
            Assert.False(string.IsNullOrEmpty(failed["error"]!["message"]!.GetValue<string>()));
            Assert.Contains("response.output_text.delta", ResponseEvents.Types(events));
            var stored = await fixture.SendAsync(HttpMethod.Get, "/v1/responses/" + failed["id"]!.GetValue<string>());
            Assert.Equal(HttpStatusCode.NotFound, stored.Status);
        }
        finally
        {
            foreach (var upstream in fixture.Upstreams)
            {
                upstream.FailAfterChunks = null;
            }
        }
    }

    [Fact]
    public async Task CreateResponseStreaming_Sdk_DeltasJoinToUpstreamText()
    {
        var marker = GatewayFixture.NewMarker();
        var text = new System.Text.StringBuilder();
        ResponseResult? completed = null;

        await foreach (var update in await fixture.Client().CreateResponseStreamingAsync(new CreateResponseOptions(ResponsesFixture.Model, [ResponseItem.CreateUserMessageItem(marker)]) { StreamingEnabled = true }))
        {
            if (update is StreamingResponseOutputTextDeltaUpdate delta)
            {
                text.Append(delta.Delta);
            }
            else if (update is StreamingResponseCompletedUpdate done)
            {
                completed = done.Response;
            }
        }

        var (upstream, _) = Assert.Single(fixture.ReceivedWith(marker));
        Assert.Equal(ResponsesFixture.ReplyOf(upstream), text.ToString());
        Assert.NotNull(completed);
        Assert.Equal(text.ToString(), completed.GetOutputText());
    }

    [Fact]
    public async Task PreviousResponseId_ThreeTurns_BackendSeesExactlyTheReplayedMessages()
    {
        var marker = GatewayFixture.NewMarker();
        var client = fixture.Client();

        var first = (await client.CreateResponseAsync(new CreateResponseOptions(ResponsesFixture.Model, [ResponseItem.CreateUserMessageItem(marker + " one")]) { Instructions = "first instructions" })).Value;
        var second = (await client.CreateResponseAsync(new CreateResponseOptions(ResponsesFixture.Model, [ResponseItem.CreateUserMessageItem("two")]) { PreviousResponseId = first.Id, Instructions = "second instructions" })).Value;
        var third = (await client.CreateResponseAsync(new CreateResponseOptions(ResponsesFixture.Model, [ResponseItem.CreateUserMessageItem("three")]) { PreviousResponseId = second.Id })).Value;

        var received = fixture.ReceivedWith(marker);
        Assert.Equal(3, received.Count);

        // One deployment served the whole chain (its prefix cache is warm), so its replies are the history.
        var upstream = Assert.Single(received.Select(r => r.Upstream).Distinct());
        var reply = ResponsesFixture.ReplyOf(upstream);
        var expected = new JsonArray(
            User(marker + " one"), Assistant(reply), User("two"), Assistant(reply), User("three"));
        Assert.Equal(expected.ToJsonString(), received[2].Body["messages"]!.ToJsonString());

        // Instructions are the turn's own: the second turn had its own, the third none.
        Assert.Equal("""{"role":"system","content":"second instructions"}""", received[1].Body["messages"]![0]!.ToJsonString());
        Assert.Equal(second.Id, third.PreviousResponseId);
        Assert.Null(third.Instructions is { Count: > 0 } ? third.Instructions : null);
    }

    [Fact]
    public async Task PreviousResponseId_PinnedDeploymentDown_ReplaysHistoryOnTheOther()
    {
        var marker = GatewayFixture.NewMarker();
        var client = fixture.Client();
        var first = (await client.CreateResponseAsync(new CreateResponseOptions(ResponsesFixture.Model, [ResponseItem.CreateUserMessageItem(marker)]))).Value;
        var (served, _) = Assert.Single(fixture.ReceivedWith(marker));
        var other = Assert.Single(fixture.Upstreams, u => u != served);
        served.FailWithStatus = 500;
        try
        {
            var second = (await client.CreateResponseAsync(new CreateResponseOptions(ResponsesFixture.Model, [ResponseItem.CreateUserMessageItem("after failover")]) { PreviousResponseId = first.Id })).Value;

            Assert.Equal(ResponsesFixture.ReplyOf(other), second.GetOutputText());
            var replayed = fixture.ReceivedWith(marker).Single(r => r.Upstream == other).Body["messages"]!;
            Assert.Equal(new JsonArray(User(marker), Assistant(ResponsesFixture.ReplyOf(served)), User("after failover")).ToJsonString(), replayed.ToJsonString());
        }
        finally
        {
            served.FailWithStatus = null;
        }
    }

    [Fact]
    public async Task FunctionCall_RoundTrip_ToolCallsAndToolMessagesTranslatedBothWays()
    {
        var marker = GatewayFixture.NewMarker();
        var client = fixture.Client();
        var tool = ResponseTool.CreateFunctionTool("get_weather", BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}}}"""), strictModeEnabled: false, functionDescription: "Weather of a city");
        var ask = new CreateResponseOptions(ResponsesFixture.Model, [ResponseItem.CreateUserMessageItem(marker)]) { Tools = { tool } };

        var called = await client.CreateResponseAsync(ask);

        OpenApiContract.AssertValid("Response", called.GetRawResponse().Content.ToString());
        var call = Assert.IsType<FunctionCallResponseItem>(Assert.Single(called.Value.OutputItems));
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal(FakeUpstream.ToolArguments, call.FunctionArguments.ToString());
        var (_, asked) = Assert.Single(fixture.ReceivedWith(marker));
        Assert.Equal(
            """[{"type":"function","function":{"name":"get_weather","description":"Weather of a city","parameters":{"type":"object","properties":{"city":{"type":"string"}}},"strict":false}}]""",
            asked["tools"]!.ToJsonString());

        var answer = new CreateResponseOptions(ResponsesFixture.Model, [ResponseItem.CreateFunctionCallOutputItem(call.CallId, "sunny")])
        {
            PreviousResponseId = called.Value.Id,
            Tools = { tool },
        };
        var final = (await client.CreateResponseAsync(answer)).Value;

        var replayed = fixture.ReceivedWith(marker)[1];
        Assert.Equal(ResponsesFixture.ReplyOf(replayed.Upstream), final.GetOutputText());
        var messages = replayed.Body["messages"]!.AsArray();
        Assert.Equal(3, messages.Count);
        Assert.Equal(
            $$$"""{"role":"assistant","content":null,"tool_calls":[{"id":"{{{call.CallId}}}","type":"function","function":{"name":"get_weather","arguments":{{{System.Text.Json.JsonSerializer.Serialize(FakeUpstream.ToolArguments)}}}}}]}""",
            messages[1]!.ToJsonString());
        Assert.Equal($$"""{"role":"tool","tool_call_id":"{{call.CallId}}","content":"sunny"}""", messages[2]!.ToJsonString());
    }

    [Fact]
    public async Task FunctionCall_Streamed_EmitsArgumentDeltasAndDone()
    {
        var marker = GatewayFixture.NewMarker();
        var body = JsonNode.Parse("""{"model":"resp-model","stream":true,"input":"MARKER","tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}],"tool_choice":"required"}""".Replace("MARKER", marker, StringComparison.Ordinal))!;

        var raw = await fixture.PostAsync("/v1/responses", body);

        var events = ResponseEvents.Parse(raw.Body);
        Assert.Equal(
            ["response.created", "response.in_progress", "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.delta",
             "response.function_call_arguments.done", "response.output_item.done", "response.completed"],
            ResponseEvents.Types(events));
        Assert.Equal(FakeUpstream.ToolArguments, string.Concat(events.Where(e => e["type"]!.GetValue<string>() == "response.function_call_arguments.delta").Select(e => e["delta"]!.GetValue<string>())));
        Assert.Equal(FakeUpstream.ToolArguments, events[5]["arguments"]!.GetValue<string>());
        var item = events[^1]["response"]!["output"]![0]!;
        Assert.Equal("function_call", item["type"]!.GetValue<string>());
        Assert.Equal("call_fake1", item["call_id"]!.GetValue<string>());
        var (_, received) = Assert.Single(fixture.ReceivedWith(marker));
        Assert.Equal("required", received["tool_choice"]!.GetValue<string>());
    }

    [Fact]
    public async Task TextFormatJsonSchema_TranslatedToResponseFormatWithParameters()
    {
        var marker = GatewayFixture.NewMarker();
        var body = JsonNode.Parse("""
            {"model":"resp-model","input":"MARKER","max_output_tokens":50,"temperature":0.5,"top_p":0.9,"user":"u1","parallel_tool_calls":false,
             "text":{"format":{"type":"json_schema","name":"answer","schema":{"type":"object"},"strict":true}},"reasoning":{"effort":"low"},"top_k":5}
            """.Replace("MARKER", marker, StringComparison.Ordinal))!;

        var raw = await fixture.PostAsync("/v1/responses", body);

        Assert.Equal(HttpStatusCode.OK, raw.Status);
        OpenApiContract.AssertValid("Response", raw.Body);
        var (_, received) = Assert.Single(fixture.ReceivedWith(marker));
        Assert.Equal("""{"type":"json_schema","json_schema":{"name":"answer","schema":{"type":"object"},"strict":true}}""", received["response_format"]!.ToJsonString());
        Assert.Equal(50, received["max_tokens"]!.GetValue<int>());
        Assert.Equal(0.5, received["temperature"]!.GetValue<double>());
        Assert.Equal(0.9, received["top_p"]!.GetValue<double>());
        Assert.Equal("u1", received["user"]!.GetValue<string>());
        Assert.Equal("low", received["reasoning_effort"]!.GetValue<string>());
        Assert.Equal(5, received["top_k"]!.GetValue<int>());
        Assert.Null(received["parallel_tool_calls"]);
        var response = raw.Json;
        Assert.Equal(50, response["max_output_tokens"]!.GetValue<int>());
        Assert.False(response["parallel_tool_calls"]!.GetValue<bool>());
        Assert.Equal("answer", response["text"]!["format"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task StoreFalse_NotRetrievableAndCannotBeContinued()
    {
        var marker = GatewayFixture.NewMarker();

        var created = await fixture.PostAsync("/v1/responses", new JsonObject { ["model"] = ResponsesFixture.Model, ["input"] = marker, ["store"] = false });

        Assert.Equal(HttpStatusCode.OK, created.Status);
        OpenApiContract.AssertValid("Response", created.Body);
        Assert.False(created.Json["store"]!.GetValue<bool>());
        var id = created.Json["id"]!.GetValue<string>();
        ErrorAssert.Matches(await fixture.SendAsync(HttpMethod.Get, "/v1/responses/" + id), HttpStatusCode.NotFound, "invalid_request_error", "not_found", null);
        var followUp = await fixture.PostAsync("/v1/responses", new JsonObject { ["model"] = ResponsesFixture.Model, ["input"] = "more", ["previous_response_id"] = id });
        ErrorAssert.Matches(followUp, HttpStatusCode.NotFound, "invalid_request_error", "not_found", "previous_response_id");
    }

    [Fact]
    public async Task PreviousResponseId_EarlierResponseOfCachedChainDeleted_404()
    {
        var client = fixture.Client();
        var marker = GatewayFixture.NewMarker();
        var first = (await client.CreateResponseAsync(new CreateResponseOptions(ResponsesFixture.Model, [ResponseItem.CreateUserMessageItem(marker)]))).Value;
        var second = (await client.CreateResponseAsync(new CreateResponseOptions(ResponsesFixture.Model, [ResponseItem.CreateUserMessageItem("two")]) { PreviousResponseId = first.Id })).Value;
        var third = (await client.CreateResponseAsync(new CreateResponseOptions(ResponsesFixture.Model, [ResponseItem.CreateUserMessageItem("three")]) { PreviousResponseId = second.Id })).Value;

        // This front-end holds the chain's context; the first response goes from under it.
        Assert.True((await client.DeleteResponseAsync(first.Id)).Value.Deleted);
        var followUp = await fixture.PostAsync("/v1/responses", new JsonObject { ["model"] = ResponsesFixture.Model, ["input"] = "four", ["previous_response_id"] = third.Id });

        ErrorAssert.Matches(followUp, HttpStatusCode.NotFound, "invalid_request_error", "not_found", "previous_response_id");
        Assert.Contains(first.Id, followUp.Json["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);

        // The check runs beside admission and planning, but no backend is called for the refused turn.
        Assert.Equal(3, fixture.ReceivedWith(marker).Count);
    }

    [Fact]
    public async Task DeleteResponse_Sdk_GoneForGetContinueAndSecondDelete()
    {
        var client = fixture.Client();
        var created = (await client.CreateResponseAsync(new CreateResponseOptions(ResponsesFixture.Model, [ResponseItem.CreateUserMessageItem(GatewayFixture.NewMarker())]))).Value;

        var deleted = (await client.DeleteResponseAsync(created.Id)).Value;

        Assert.True(deleted.Deleted);
        Assert.Equal(created.Id, deleted.ResponseId);
        ErrorAssert.Matches(await fixture.SendAsync(HttpMethod.Get, "/v1/responses/" + created.Id), HttpStatusCode.NotFound, "invalid_request_error", "not_found", null);
        ErrorAssert.Matches(await fixture.SendAsync(HttpMethod.Delete, "/v1/responses/" + created.Id), HttpStatusCode.NotFound, "invalid_request_error", "not_found", null);
        ErrorAssert.Matches(await fixture.SendAsync(HttpMethod.Get, "/v1/responses/" + created.Id + "/input_items"), HttpStatusCode.NotFound, "invalid_request_error", "not_found", null);
        var followUp = await fixture.PostAsync("/v1/responses", new JsonObject { ["model"] = ResponsesFixture.Model, ["input"] = "more", ["previous_response_id"] = created.Id });
        ErrorAssert.Matches(followUp, HttpStatusCode.NotFound, "invalid_request_error", "not_found", "previous_response_id");
    }

    [Fact]
    public async Task OtherTenant_CannotGetContinueDeleteOrListAResponse()
    {
        var created = (await fixture.Client().CreateResponseAsync(new CreateResponseOptions(ResponsesFixture.Model, [ResponseItem.CreateUserMessageItem(GatewayFixture.NewMarker())]))).Value;
        var b = ResponsesFixture.KeyB;

        ErrorAssert.Matches(await fixture.SendAsync(HttpMethod.Get, "/v1/responses/" + created.Id, key: b), HttpStatusCode.NotFound, "invalid_request_error", "not_found", null);
        ErrorAssert.Matches(await fixture.SendAsync(HttpMethod.Get, "/v1/responses/" + created.Id + "/input_items", key: b), HttpStatusCode.NotFound, "invalid_request_error", "not_found", null);
        ErrorAssert.Matches(await fixture.SendAsync(HttpMethod.Delete, "/v1/responses/" + created.Id, key: b), HttpStatusCode.NotFound, "invalid_request_error", "not_found", null);
        var followUp = await fixture.PostAsync("/v1/responses", new JsonObject { ["model"] = ResponsesFixture.Model, ["input"] = "x", ["previous_response_id"] = created.Id }, key: b);
        ErrorAssert.Matches(followUp, HttpStatusCode.NotFound, "invalid_request_error", "not_found", "previous_response_id");

        // Still there for its owner.
        Assert.Equal(HttpStatusCode.OK, (await fixture.SendAsync(HttpMethod.Get, "/v1/responses/" + created.Id)).Status);
    }

    [Fact]
    public async Task InputItems_ListsTheTurnsInputWithIdsNewestFirst()
    {
        var marker = GatewayFixture.NewMarker();
        var created = await fixture.PostAsync("/v1/responses", JsonNode.Parse("""
            {"model":"resp-model","input":[{"role":"developer","content":"dev note"},{"type":"message","role":"user","content":[{"type":"input_text","text":"MARKER"},{"type":"input_image","image_url":"https://example.com/a.png"}]}]}
            """.Replace("MARKER", marker, StringComparison.Ordinal))!);
        Assert.Equal(HttpStatusCode.OK, created.Status);
        var id = created.Json["id"]!.GetValue<string>();

        var page = await fixture.SendAsync(HttpMethod.Get, $"/v1/responses/{id}/input_items");
        var ascending = await fixture.SendAsync(HttpMethod.Get, $"/v1/responses/{id}/input_items?order=asc&limit=1");

        Assert.Equal(HttpStatusCode.OK, page.Status);
        OpenApiContract.AssertValid("ResponseItemList", page.Body);
        var data = page.Json["data"]!.AsArray();
        Assert.Equal(2, data.Count);
        Assert.Equal("user", data[0]!["role"]!.GetValue<string>());
        Assert.Equal("developer", data[1]!["role"]!.GetValue<string>());
        Assert.All(data, item => Assert.StartsWith("msg_", item!["id"]!.GetValue<string>(), StringComparison.Ordinal));
        OpenApiContract.AssertValid("ResponseItemList", ascending.Body);
        Assert.Equal(data[1]!["id"]!.GetValue<string>(), Assert.Single(ascending.Json["data"]!.AsArray())!["id"]!.GetValue<string>());
        Assert.True(ascending.Json["has_more"]!.GetValue<bool>());

        // The image went to the backend as a chat image part; the developer message as a system one.
        var (_, received) = Assert.Single(fixture.ReceivedWith(marker));
        Assert.Equal(
            """[{"role":"system","content":"dev note"},{"role":"user","content":[{"type":"text","text":"MARKER"},{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]}]""".Replace("MARKER", marker, StringComparison.Ordinal),
            received["messages"]!.ToJsonString());
    }

    [Theory]
    [InlineData("""{"model":"resp-model","input":"x","background":true}""", "background")]
    [InlineData("""{"model":"resp-model","input":"x","prompt":{"id":"pmpt_1"}}""", "prompt")]
    [InlineData("""{"model":"resp-model","input":"x","truncation":"auto"}""", "truncation")]
    [InlineData("""{"model":"resp-model","input":"x","include":["message.output_text.logprobs"]}""", "include")]
    [InlineData("""{"model":"resp-model","input":"x","tools":[{"type":"web_search"}]}""", "tools")]
    [InlineData("""{"model":"resp-model","input":[{"type":"item_reference","id":"msg_1"}]}""", "input[0].type")]
    [InlineData("""{"model":"resp-model","input":"x","previous_response_id":"resp_1","conversation":"conv_1"}""", "previous_response_id")]
    [InlineData("""{"model":"resp-model","input":"x","temperature":3}""", "temperature")]
    public async Task CreateResponse_UnsupportedOrInvalidField_400NamingIt(string body, string param)
    {
        var raw = await fixture.SendAsync(HttpMethod.Post, "/v1/responses", body);

        var error = ErrorAssert.Matches(raw, HttpStatusCode.BadRequest, "invalid_request_error", null, param);
        Assert.Contains(param.Split('[', '.')[0], error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateResponse_UnknownPreviousResponse_404()
    {
        var raw = await fixture.PostAsync("/v1/responses", new JsonObject { ["model"] = ResponsesFixture.Model, ["input"] = "x", ["previous_response_id"] = "resp_" + new string('0', 48) });

        ErrorAssert.Matches(raw, HttpStatusCode.NotFound, "invalid_request_error", "not_found", "previous_response_id");
    }

    [Fact]
    public async Task CancelResponse_NotBackground_400()
    {
        var created = (await fixture.Client().CreateResponseAsync(new CreateResponseOptions(ResponsesFixture.Model, [ResponseItem.CreateUserMessageItem(GatewayFixture.NewMarker())]))).Value;

        ErrorAssert.Matches(await fixture.SendAsync(HttpMethod.Post, $"/v1/responses/{created.Id}/cancel"), HttpStatusCode.BadRequest, "invalid_request_error", null, null);
    }

    [Fact]
    public async Task CreateResponse_LedgerRecordCarriesResponseId()
    {
        var created = (await fixture.Client().CreateResponseAsync(new CreateResponseOptions(ResponsesFixture.Model, [ResponseItem.CreateUserMessageItem(GatewayFixture.NewMarker())]))).Value;

        var records = await fixture.SendAsync(HttpMethod.Get, "/v1/usage/records?session=" + created.Id);

        Assert.Equal(HttpStatusCode.OK, records.Status);
        var record = Assert.Single(records.Json["data"]!.AsArray())!;
        Assert.Equal(created.Id, record["response_id"]!.GetValue<string>());
        Assert.Null(record["conversation_id"]);
        Assert.Equal("responses", record["endpoint"]!.GetValue<string>());
        Assert.Equal(FakeUpstream.PromptTokens, record["prompt_tokens"]!.GetValue<int>());
    }

    internal static JsonObject User(string text) => new() { ["role"] = "user", ["content"] = text };

    internal static JsonObject Assistant(string text) => new() { ["role"] = "assistant", ["content"] = text };
}
