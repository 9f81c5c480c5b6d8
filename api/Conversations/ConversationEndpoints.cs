using System.Text.Json;
using System.Text.Json.Nodes;
using Cluster.Api.Responses;
using Cluster.Grains.Conversations;
using Cluster.Grains.Errors;

namespace Cluster.Api.Conversations;

/// <summary>
/// The Conversations API: <c>POST /conversations</c>, <c>GET</c>/<c>POST</c>/<c>DELETE
/// /conversations/{id}</c>, <c>GET</c>/<c>POST /conversations/{id}/items</c>,
/// <c>GET</c>/<c>DELETE /conversations/{id}/items/{item_id}</c>. A conversation is one grain
/// (<see cref="IConversationGrain"/>); responses created with <c>conversation</c> add their input
/// and output items to it.
/// </summary>
internal static class ConversationEndpoints
{
    /// <summary>OpenAI's limit on the items added by one call.</summary>
    public const int MaxItemsPerCall = 20;

    public static IEndpointRouteBuilder MapConversations(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/conversations", CreateAsync);
        routes.MapGet("/conversations/{id}", GetAsync);
        routes.MapPost("/conversations/{id}", UpdateAsync);
        routes.MapDelete("/conversations/{id}", DeleteAsync);
        routes.MapGet("/conversations/{id}/items", ListItemsAsync);
        routes.MapPost("/conversations/{id}/items", AddItemsAsync);
        routes.MapGet("/conversations/{id}/items/{itemId}", GetItemAsync);
        routes.MapDelete("/conversations/{id}/items/{itemId}", DeleteItemAsync);
        return routes;
    }

    private static Task CreateAsync(HttpContext context, StateCalls calls, ResponseStore store, TimeProvider time) =>
        calls.RunAsync(context, async tenant =>
        {
            var body = await StateCalls.ReadObjectAsync(context, optional: true);
            var items = body["items"] is { } given && given.GetValueKind() != JsonValueKind.Null ? Items(given) : [];
            var conversation = new ConversationInfo(tenant, time.GetUtcNow().ToUnixTimeSeconds(), Metadata(body["metadata"]));
            var id = ResponseIds.New(ResponseIds.Conversation);
            await store.CallAsync(() => store.Conversation(id).CreateAsync(conversation, items));
            return Resource(id, conversation);
        });

    private static Task GetAsync(HttpContext context, string id, StateCalls calls, ResponseStore store) =>
        calls.RunAsync(context, async tenant => Resource(id, await FindAsync(store, id, tenant)));

    private static Task UpdateAsync(HttpContext context, string id, StateCalls calls, ResponseStore store) =>
        calls.RunAsync(context, async tenant =>
        {
            var body = await StateCalls.ReadObjectAsync(context);
            if (!body.ContainsKey("metadata"))
            {
                throw GatewayException.BadRequest("'metadata' is required.", "metadata");
            }

            var metadata = Metadata(body["metadata"]);
            return Resource(id, (Found(id) ? await store.CallAsync(() => store.Conversation(id).UpdateAsync(tenant, metadata)) : null) ?? throw NotFound(id));
        });

    private static Task DeleteAsync(HttpContext context, string id, StateCalls calls, ResponseStore store) =>
        calls.RunAsync(context, async tenant =>
        {
            if (!Found(id) || !await store.CallAsync(() => store.Conversation(id).DeleteAsync(tenant)))
            {
                throw NotFound(id);
            }

            return new JsonObject { ["id"] = id, ["object"] = "conversation.deleted", ["deleted"] = true };
        });

    private static Task ListItemsAsync(HttpContext context, string id, StateCalls calls, ResponseStore store) =>
        calls.RunAsync(context, async tenant =>
            StateCalls.Page(context.Request, [.. (await ItemsAsync(store, id, tenant)).Select(i => JsonNode.Parse(i.Json)!.AsObject())]));

    private static Task AddItemsAsync(HttpContext context, string id, StateCalls calls, ResponseStore store) =>
        calls.RunAsync(context, async tenant =>
        {
            var body = await StateCalls.ReadObjectAsync(context);
            var items = Items(body["items"] ?? throw GatewayException.BadRequest("'items' is required.", "items"));
            if (!Found(id) || !await store.CallAsync(() => store.Conversation(id).AppendAsync(tenant, items)))
            {
                throw NotFound(id);
            }

            var added = items.Select(i => JsonNode.Parse(i.Json)!.AsObject()).ToList();
            return new JsonObject
            {
                ["object"] = "list",
                ["data"] = new JsonArray([.. added.Select(i => (JsonNode)i)]),
                ["first_id"] = added.Count > 0 ? added[0]["id"]!.GetValue<string>() : "",
                ["last_id"] = added.Count > 0 ? added[^1]["id"]!.GetValue<string>() : "",
                ["has_more"] = false,
            };
        });

    private static Task GetItemAsync(HttpContext context, string id, string itemId, StateCalls calls, ResponseStore store) =>
        calls.RunAsync(context, async tenant =>
        {
            var item = (await ItemsAsync(store, id, tenant)).FirstOrDefault(i => i.Id == itemId)
                ?? throw new GatewayException(GatewayErrorCode.NotFound, $"Item with id '{itemId}' not found in conversation '{id}'.", null);
            return JsonNode.Parse(item.Json)!;
        });

    private static Task DeleteItemAsync(HttpContext context, string id, string itemId, StateCalls calls, ResponseStore store) =>
        calls.RunAsync(context, async tenant =>
        {
            var grain = store.Conversation(id);
            switch (Found(id) ? await store.CallAsync(() => grain.DeleteItemAsync(tenant, itemId)) : null)
            {
                case null:
                    throw NotFound(id);
                case false:
                    throw new GatewayException(GatewayErrorCode.NotFound, $"Item with id '{itemId}' not found in conversation '{id}'.", null);
            }

            return Resource(id, await store.CallAsync(() => grain.GetAsync(tenant)) ?? throw NotFound(id));
        });

    private static async Task<StoredItem[]> ItemsAsync(ResponseStore store, string id, string tenant) =>
        (Found(id) ? await store.CallAsync(() => store.Conversation(id).GetItemsAsync(tenant)) : null) ?? throw NotFound(id);

    private static async Task<ConversationInfo> FindAsync(ResponseStore store, string id, string tenant) =>
        (Found(id) ? await store.CallAsync(() => store.Conversation(id).GetAsync(tenant)) : null) ?? throw NotFound(id);

    /// <summary>The items of a request, checked like a response's input, each with its id.</summary>
    private static StoredItem[] Items(JsonNode node)
    {
        if (node is not JsonArray array)
        {
            throw GatewayException.BadRequest("'items' must be an array of items.", "items");
        }

        if (array.Count > MaxItemsPerCall)
        {
            throw GatewayException.BadRequest($"'items' holds {array.Count} items; at most {MaxItemsPerCall} may be added at a time.", "items");
        }

        return [.. ResponseItems.FromInput(array, "items").Select(i => new StoredItem(i["id"]!.GetValue<string>(), ResponsesJson.Text(i)))];
    }

    private static string Metadata(JsonNode? node)
    {
        if (node is null || node.GetValueKind() == JsonValueKind.Null)
        {
            return "{}";
        }

        if (node is not JsonObject metadata || metadata.Count > 16 || metadata.Any(p => p.Value?.GetValueKind() != JsonValueKind.String || p.Key.Length > 64 || p.Value.GetValue<string>().Length > 512))
        {
            throw GatewayException.BadRequest("'metadata' must be an object of at most 16 string values (keys up to 64 characters, values up to 512).", "metadata");
        }

        return ResponsesJson.Text(metadata);
    }

    private static JsonObject Resource(string id, ConversationInfo conversation) => new()
    {
        ["id"] = id,
        ["object"] = "conversation",
        ["created_at"] = conversation.CreatedAt,
        ["metadata"] = JsonNode.Parse(conversation.MetadataJson),
    };

    private static bool Found(string id) => ResponseIds.IsWellFormed(id, ResponseIds.Conversation);

    private static GatewayException NotFound(string id) =>
        new(GatewayErrorCode.NotFound, $"Conversation with id '{id}' not found.", null);
}
