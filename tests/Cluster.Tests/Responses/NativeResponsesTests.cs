using System.Net;
using System.Text.Json.Nodes;
using Cluster.Tests.Contract;
using Cluster.Tests.Support;
using OpenAI.Responses;

#pragma warning disable OPENAI001 // The SDK marks its Responses client experimental.

namespace Cluster.Tests.Responses;

/// <summary>
/// A deployment that speaks <c>/responses</c> natively (<c>Api: responses</c>): the backend is sent
/// the whole context with <c>store: false</c>, and the client still gets our ids, our event
/// numbering and the backend's usage.
/// </summary>
[Collection(ResponsesFixture.Name)]
public sealed class NativeResponsesTests(ResponsesFixture fixture)
{
    [Fact]
    public async Task NativeDeployment_ThreeTurns_BackendSeesReplayedInputWithStoreFalse()
    {
        var marker = GatewayFixture.NewMarker();
        var client = fixture.Client();

        var firstResult = await client.CreateResponseAsync(new CreateResponseOptions(ResponsesFixture.NativeModel, [ResponseItem.CreateUserMessageItem(marker + " one")])
        {
            Instructions = "native instructions",
            Metadata = { ["case"] = "native" },
        });
        var first = firstResult.Value;
        var second = (await client.CreateResponseAsync(new CreateResponseOptions(ResponsesFixture.NativeModel, [ResponseItem.CreateUserMessageItem("two")]) { PreviousResponseId = first.Id })).Value;
        var third = (await client.CreateResponseAsync(new CreateResponseOptions(ResponsesFixture.NativeModel, [ResponseItem.CreateUserMessageItem("three")]) { PreviousResponseId = second.Id })).Value;

        // The client sees our response: our ids, the backend's text and usage.
        OpenApiContract.AssertValid("Response", firstResult.GetRawResponse().Content.ToString());
        foreach (var response in new[] { first, second, third })
        {
            Assert.Equal(FakeResponsesUpstream.Text, response.GetOutputText());
            Assert.StartsWith("resp_", response.Id, StringComparison.Ordinal);
            Assert.NotEqual(FakeResponsesUpstream.BackendResponseId, response.Id);
            Assert.Equal(ResponsesFixture.NativeModel, response.Model);
            Assert.Equal(FakeResponsesUpstream.InputTokens, response.Usage.InputTokenCount);
            Assert.Equal(FakeResponsesUpstream.OutputTokens, response.Usage.OutputTokenCount);
            Assert.Equal(FakeResponsesUpstream.CachedTokens, response.Usage.InputTokenDetails.CachedTokenCount);
        }

        Assert.StartsWith("msg_", first.OutputItems[0].Id, StringComparison.Ordinal);
        Assert.NotEqual("msg_backend_0001", first.OutputItems[0].Id);

        // The backend got the whole context as input, with store: false and nothing it would have to look up.
        var received = fixture.NativeUpstream.ReceivedWith(marker);
        Assert.Equal(3, received.Count);
        var last = received[2];
        Assert.False(last["store"]!.GetValue<bool>());
        Assert.False(last.ContainsKey("previous_response_id"));
        Assert.False(last.ContainsKey("conversation"));
        Assert.False(last.ContainsKey("metadata"));
        Assert.False(received[0].ContainsKey("metadata"));
        Assert.Equal("native-upstream-model", last["model"]!.GetValue<string>());
        Assert.Equal("native instructions", received[0]["instructions"]!.GetValue<string>());
        Assert.False(last.ContainsKey("instructions"));
        var expected = new JsonArray();
        foreach (var id in new[] { first.Id, second.Id })
        {
            foreach (var item in await StoredItemsAsync(id))
            {
                expected.Add(item);
            }
        }

        expected.Add(WithoutId((await fixture.SendAsync(HttpMethod.Get, $"/v1/responses/{third.Id}/input_items?order=asc")).Json["data"]![0]!.AsObject()));
        Assert.Equal(expected.ToJsonString(), last["input"]!.ToJsonString());
        Assert.Equal(5, last["input"]!.AsArray().Count);
    }

    [Fact]
    public async Task NativeDeployment_Streamed_EventsRenumberedWithOurIdsAndBackendUsage()
    {
        var marker = GatewayFixture.NewMarker();

        var raw = await fixture.PostAsync("/v1/responses", new JsonObject { ["model"] = ResponsesFixture.NativeModel, ["input"] = marker, ["stream"] = true });

        Assert.Equal(HttpStatusCode.OK, raw.Status);
        var events = ResponseEvents.Parse(raw.Body);
        var deltas = Enumerable.Repeat("response.output_text.delta", FakeResponsesUpstream.TextParts.Length);
        Assert.Equal(
            ["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added", .. deltas,
             "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"],
            ResponseEvents.Types(events));
        var completed = events[^1]["response"]!.AsObject();
        var id = completed["id"]!.GetValue<string>();
        Assert.StartsWith("resp_", id, StringComparison.Ordinal);
        Assert.NotEqual(FakeResponsesUpstream.BackendResponseId, id);
        Assert.All(events.Where(e => e["item_id"] is not null), e => Assert.NotEqual("msg_backend_0001", e["item_id"]!.GetValue<string>()));
        Assert.Equal(FakeResponsesUpstream.Text, events[^4]["text"]!.GetValue<string>());
        Assert.Equal(FakeResponsesUpstream.InputTokens, completed["usage"]!["input_tokens"]!.GetValue<int>());
        Assert.Equal(FakeResponsesUpstream.OutputTokens, completed["usage"]!["output_tokens"]!.GetValue<int>());

        var received = Assert.Single(fixture.NativeUpstream.ReceivedWith(marker));
        Assert.True(received["stream"]!.GetValue<bool>());
        Assert.False(received["store"]!.GetValue<bool>());

        var stored = await fixture.SendAsync(HttpMethod.Get, "/v1/responses/" + id);
        Assert.Equal(completed.ToJsonString(), stored.Json.ToJsonString());
    }

    [Fact]
    public async Task NativeDeployment_FunctionCallStreamedThenAnswered_BackendSeesCallAndOutputItems()
    {
        var marker = GatewayFixture.NewMarker();
        var ask = JsonNode.Parse("""{"model":"resp-native","stream":true,"input":"MARKER","tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}]}""".Replace("MARKER", marker, StringComparison.Ordinal))!;

        var raw = await fixture.PostAsync("/v1/responses", ask);

        var events = ResponseEvents.Parse(raw.Body);
        Assert.Equal(
            ["response.created", "response.in_progress", "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.delta",
             "response.function_call_arguments.done", "response.output_item.done", "response.completed"],
            ResponseEvents.Types(events));
        var call = events[^1]["response"]!["output"]![0]!.AsObject();
        Assert.Equal("function_call", call["type"]!.GetValue<string>());
        Assert.StartsWith("fc_", call["id"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotEqual("fc_backend_0001", call["id"]!.GetValue<string>());
        Assert.Equal("call_backend_0001", call["call_id"]!.GetValue<string>());
        Assert.Equal(FakeResponsesUpstream.ToolArguments, call["arguments"]!.GetValue<string>());

        var answer = await fixture.Client().CreateResponseAsync(new CreateResponseOptions(ResponsesFixture.NativeModel, [ResponseItem.CreateFunctionCallOutputItem("call_backend_0001", "sunny")])
        {
            PreviousResponseId = events[^1]["response"]!["id"]!.GetValue<string>(),
            Tools = { ResponseTool.CreateFunctionTool("get_weather", BinaryData.FromString("""{"type":"object"}"""), strictModeEnabled: false) },
        });

        Assert.Equal(FakeResponsesUpstream.Text, answer.Value.GetOutputText());
        var input = fixture.NativeUpstream.ReceivedWith(marker)[1]["input"]!.AsArray();
        Assert.Equal(3, input.Count);
        Assert.Equal(
            $$$"""{"type":"function_call","call_id":"call_backend_0001","name":"get_weather","arguments":{{{System.Text.Json.JsonSerializer.Serialize(FakeResponsesUpstream.ToolArguments)}}},"status":"completed"}""",
            input[1]!.ToJsonString());
        Assert.Equal("function_call_output", input[2]!["type"]!.GetValue<string>());
        Assert.Equal("sunny", input[2]!["output"]!.GetValue<string>());
        Assert.False(input[2]!.AsObject().ContainsKey("id"));
    }

    [Fact]
    public async Task NativeDeployment_LedgerRecordHasBackendUsage()
    {
        var created = (await fixture.Client().CreateResponseAsync(new CreateResponseOptions(ResponsesFixture.NativeModel, [ResponseItem.CreateUserMessageItem(GatewayFixture.NewMarker())]))).Value;

        var records = await fixture.SendAsync(HttpMethod.Get, "/v1/usage/records?session=" + created.Id);

        var record = Assert.Single(records.Json["data"]!.AsArray())!;
        Assert.Equal(created.Id, record["response_id"]!.GetValue<string>());
        Assert.Equal("native", record["deployment"]!.GetValue<string>());
        Assert.Equal(FakeResponsesUpstream.InputTokens, record["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(FakeResponsesUpstream.OutputTokens, record["completion_tokens"]!.GetValue<int>());
    }

    /// <summary>A stored response's input items and then its output items, oldest first, without their ids (as a native backend is sent them).</summary>
    private async Task<List<JsonObject>> StoredItemsAsync(string id)
    {
        var inputs = (await fixture.SendAsync(HttpMethod.Get, $"/v1/responses/{id}/input_items?order=asc")).Json["data"]!.AsArray();
        var outputs = (await fixture.SendAsync(HttpMethod.Get, "/v1/responses/" + id)).Json["output"]!.AsArray();
        return [.. inputs.Concat(outputs).Select(i => WithoutId(i!.AsObject()))];
    }

    private static JsonObject WithoutId(JsonObject item)
    {
        var copy = item.DeepClone().AsObject();
        copy.Remove("id");
        return copy;
    }
}
