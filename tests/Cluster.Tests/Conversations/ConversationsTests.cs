using System.Net;
using System.Text.Json.Nodes;
using Cluster.Tests.Contract;
using Cluster.Tests.Responses;
using Cluster.Tests.Support;
using OpenAI.Responses;

#pragma warning disable OPENAI001 // The SDK marks its Responses client experimental.

namespace Cluster.Tests.Conversations;

[Collection(ResponsesFixture.Name)]
public sealed class ConversationsTests(ResponsesFixture fixture)
{
    [Fact]
    public async Task Conversation_CreateGetUpdateDelete_MatchContractAndDeleteIsFinal()
    {
        var created = await fixture.PostAsync("/v1/conversations", JsonNode.Parse("""{"metadata":{"topic":"demo"},"items":[{"type":"message","role":"user","content":"hello"}]}""")!);

        Assert.Equal(HttpStatusCode.OK, created.Status);
        OpenApiContract.AssertValid("ConversationResource", created.Body);
        var id = created.Json["id"]!.GetValue<string>();
        Assert.StartsWith("conv_", id, StringComparison.Ordinal);
        Assert.Equal("demo", created.Json["metadata"]!["topic"]!.GetValue<string>());

        var fetched = await fixture.SendAsync(HttpMethod.Get, "/conversations/" + id);
        Assert.Equal(created.Body, fetched.Body);

        var updated = await fixture.SendAsync(HttpMethod.Post, "/v1/conversations/" + id, """{"metadata":{"topic":"changed"}}""");
        OpenApiContract.AssertValid("ConversationResource", updated.Body);
        Assert.Equal("changed", updated.Json["metadata"]!["topic"]!.GetValue<string>());

        var deleted = await fixture.SendAsync(HttpMethod.Delete, "/v1/conversations/" + id);
        OpenApiContract.AssertValid("DeletedConversationResource", deleted.Body);
        Assert.True(deleted.Json["deleted"]!.GetValue<bool>());
        ErrorAssert.Matches(await fixture.SendAsync(HttpMethod.Get, "/v1/conversations/" + id), HttpStatusCode.NotFound, "invalid_request_error", "not_found", null);
        ErrorAssert.Matches(await fixture.SendAsync(HttpMethod.Get, $"/v1/conversations/{id}/items"), HttpStatusCode.NotFound, "invalid_request_error", "not_found", null);
    }

    [Fact]
    public async Task ConversationItems_AddListGetDelete_MatchContract()
    {
        var id = (await fixture.PostAsync("/v1/conversations", new JsonObject())).Json["id"]!.GetValue<string>();

        var added = await fixture.SendAsync(HttpMethod.Post, $"/v1/conversations/{id}/items", """{"items":[{"role":"user","content":"one"},{"type":"message","role":"assistant","content":[{"type":"output_text","text":"two"}]}]}""");

        Assert.Equal(HttpStatusCode.OK, added.Status);
        OpenApiContract.AssertValid("ConversationItemList", added.Body);
        var addedItems = added.Json["data"]!.AsArray();
        Assert.Equal(2, addedItems.Count);
        var firstId = addedItems[0]!["id"]!.GetValue<string>();
        var secondId = addedItems[1]!["id"]!.GetValue<string>();

        var listed = await fixture.SendAsync(HttpMethod.Get, $"/v1/conversations/{id}/items?order=asc");
        OpenApiContract.AssertValid("ConversationItemList", listed.Body);
        Assert.Equal([firstId, secondId], listed.Json["data"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()));
        var page = await fixture.SendAsync(HttpMethod.Get, $"/v1/conversations/{id}/items?limit=1&after={secondId}");
        Assert.Equal(firstId, Assert.Single(page.Json["data"]!.AsArray())!["id"]!.GetValue<string>());
        Assert.False(page.Json["has_more"]!.GetValue<bool>());

        var item = await fixture.SendAsync(HttpMethod.Get, $"/v1/conversations/{id}/items/{firstId}");
        OpenApiContract.AssertValid("ConversationItem", item.Body);
        Assert.Equal("one", item.Json["content"]![0]!["text"]!.GetValue<string>());

        var afterDelete = await fixture.SendAsync(HttpMethod.Delete, $"/v1/conversations/{id}/items/{firstId}");
        OpenApiContract.AssertValid("ConversationResource", afterDelete.Body);
        ErrorAssert.Matches(await fixture.SendAsync(HttpMethod.Get, $"/v1/conversations/{id}/items/{firstId}"), HttpStatusCode.NotFound, "invalid_request_error", "not_found", null);
        Assert.Equal([secondId], (await fixture.SendAsync(HttpMethod.Get, $"/v1/conversations/{id}/items")).Json["data"]!.AsArray().Select(i => i!["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task ResponsesInConversation_BackendSeesItsItemsAndTurnsAreAppended()
    {
        var marker = GatewayFixture.NewMarker();
        var conversation = await fixture.PostAsync("/v1/conversations", JsonNode.Parse("""{"items":[{"role":"user","content":"MARKER seed"}]}""".Replace("MARKER", marker, StringComparison.Ordinal))!);
        var id = conversation.Json["id"]!.GetValue<string>();
        var client = fixture.Client();

        var first = (await client.CreateResponseAsync(new CreateResponseOptions(ResponsesFixture.Model, [ResponseItem.CreateUserMessageItem("turn one")]) { ConversationOptions = new ResponseConversationOptions(id) })).Value;
        var secondRaw = await fixture.PostAsync("/v1/responses", new JsonObject { ["model"] = ResponsesFixture.Model, ["input"] = "turn two", ["conversation"] = new JsonObject { ["id"] = id } });

        OpenApiContract.AssertValid("Response", secondRaw.Body);
        Assert.Equal(id, secondRaw.Json["conversation"]!["id"]!.GetValue<string>());
        var received = fixture.ReceivedWith(marker);
        Assert.Equal(2, received.Count);
        var upstream = Assert.Single(received.Select(r => r.Upstream).Distinct());
        var reply = ResponsesFixture.ReplyOf(upstream);
        Assert.Equal(
            new JsonArray(ResponsesTests.User(marker + " seed"), ResponsesTests.User("turn one"), ResponsesTests.Assistant(reply), ResponsesTests.User("turn two")).ToJsonString(),
            received[1].Body["messages"]!.ToJsonString());

        var items = await fixture.SendAsync(HttpMethod.Get, $"/v1/conversations/{id}/items?order=asc");
        OpenApiContract.AssertValid("ConversationItemList", items.Body);
        Assert.Equal(
            ["user", "user", "assistant", "user", "assistant"],
            items.Json["data"]!.AsArray().Select(i => i!["role"]!.GetValue<string>()));
        Assert.Equal(first.OutputItems[0].Id, items.Json["data"]![2]!["id"]!.GetValue<string>());

        // The ledger rows name the conversation.
        var records = await fixture.SendAsync(HttpMethod.Get, "/v1/usage/records?session=" + id);
        Assert.Equal(2, records.Json["data"]!.AsArray().Count(r => r!["conversation_id"]?.GetValue<string>() == id));
    }

    [Fact]
    public async Task OtherTenant_CannotSeeChangeOrUseAConversation()
    {
        var id = (await fixture.PostAsync("/v1/conversations", JsonNode.Parse("""{"items":[{"role":"user","content":"private"}]}""")!)).Json["id"]!.GetValue<string>();
        var b = ResponsesFixture.KeyB;

        ErrorAssert.Matches(await fixture.SendAsync(HttpMethod.Get, "/v1/conversations/" + id, key: b), HttpStatusCode.NotFound, "invalid_request_error", "not_found", null);
        ErrorAssert.Matches(await fixture.SendAsync(HttpMethod.Get, $"/v1/conversations/{id}/items", key: b), HttpStatusCode.NotFound, "invalid_request_error", "not_found", null);
        ErrorAssert.Matches(await fixture.SendAsync(HttpMethod.Post, $"/v1/conversations/{id}/items", """{"items":[{"role":"user","content":"x"}]}""", key: b), HttpStatusCode.NotFound, "invalid_request_error", "not_found", null);
        ErrorAssert.Matches(await fixture.SendAsync(HttpMethod.Post, "/v1/conversations/" + id, """{"metadata":{}}""", key: b), HttpStatusCode.NotFound, "invalid_request_error", "not_found", null);
        ErrorAssert.Matches(await fixture.SendAsync(HttpMethod.Delete, "/v1/conversations/" + id, key: b), HttpStatusCode.NotFound, "invalid_request_error", "not_found", null);
        var response = await fixture.PostAsync("/v1/responses", new JsonObject { ["model"] = ResponsesFixture.Model, ["input"] = "x", ["conversation"] = id }, key: b);
        ErrorAssert.Matches(response, HttpStatusCode.NotFound, "invalid_request_error", "not_found", "conversation");

        var own = await fixture.SendAsync(HttpMethod.Get, $"/v1/conversations/{id}/items");
        Assert.Single(own.Json["data"]!.AsArray());
    }

    [Theory]
    [InlineData("""{"items":[{"type":"web_search_call","id":"ws_1"}]}""", "items[0].type")]
    [InlineData("""{"items":"not a list"}""", "items")]
    [InlineData("""{"metadata":{"n":1}}""", "metadata")]
    public async Task CreateConversation_BadBody_400NamingTheField(string body, string param)
    {
        ErrorAssert.Matches(await fixture.SendAsync(HttpMethod.Post, "/v1/conversations", body), HttpStatusCode.BadRequest, "invalid_request_error", null, param);
    }
}
