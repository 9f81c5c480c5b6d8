using System.Text.Json.Nodes;
using Cluster.Grains.Conversations;
using Cluster.Grains.Errors;
using Cluster.Grains.Responses;
using Cluster.Relay.Cluster;
using Cluster.Relay.Completions;
using Microsoft.Extensions.Options;

namespace Cluster.Api.Responses;

/// <summary>
/// The front-end's side of the stored state: rebuilds a turn's context from the response chain or
/// the conversation, and stores what a turn said. Every read names the caller's tenant, so
/// another tenant's ids read as absent (404).
/// </summary>
internal sealed class ResponseStore(IGrainFactory grains, RelayServices relay, IOptions<ResponsesOptions> options)
{
    private readonly ResponsesOptions _options = options.Value;

    // The expiry hours this front-end has noted at the retention root (a few per day of traffic).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _notedHours = new(StringComparer.Ordinal);

    /// <summary>
    /// A call to a response or conversation grain, sent again while the cluster moves the grain
    /// off a silo that died (every call is idempotent: stores replace, appends skip items already there).
    /// </summary>
    public Task<T> CallAsync<T>(Func<Task<T>> call) => ClusterCalls.RetryAsync(call, relay.RetryWindow, relay.Time);

    public Task CallAsync(Func<Task> call) => ClusterCalls.RetryAsync(call, relay.RetryWindow, relay.Time);

    public IResponseGrain Response(string id) => grains.GetGrain<IResponseGrain>(id);

    public IConversationGrain Conversation(string id) => grains.GetGrain<IConversationGrain>(id);

    /// <summary>
    /// The items said before this turn, oldest first, and the chain's root (the session key that
    /// keeps the chain on one deployment): the inputs and outputs of every response of the chain
    /// (never their instructions), or the conversation's items.
    /// </summary>
    public async Task<(List<JsonObject> Items, string? ChainRoot)> ContextAsync(ResponseRequest request, string tenant)
    {
        if (request.ConversationId is { } conversationId)
        {
            var items = (ResponseIds.IsWellFormed(conversationId, ResponseIds.Conversation) ? await CallAsync(() => Conversation(conversationId).GetItemsAsync(tenant)) : null)
                ?? throw new GatewayException(GatewayErrorCode.NotFound, $"Conversation with id '{conversationId}' not found.", "conversation");
            return ([.. items.Select(i => JsonNode.Parse(i.Json)!.AsObject())], conversationId);
        }

        if (request.PreviousResponseId is not { } previous)
        {
            return ([], null);
        }

        var turns = new List<StoredResponse>();
        for (var id = previous; id is not null;)
        {
            if (turns.Count >= _options.MaxChainLength)
            {
                throw GatewayException.BadRequest(
                    $"The chain of 'previous_response_id' is longer than {_options.MaxChainLength} responses; continue it in a conversation instead.", "previous_response_id");
            }

            var stored = (ResponseIds.IsWellFormed(id, ResponseIds.Response) ? await CallAsync(() => Response(id).GetAsync(tenant)) : null) ?? throw new GatewayException(
                GatewayErrorCode.NotFound,
                id == previous ? $"Previous response with id '{id}' not found." : $"Response '{id}', earlier in the chain of '{previous}', no longer exists; the context cannot be rebuilt.",
                "previous_response_id");
            turns.Add(stored);
            id = stored.PreviousResponseId;
        }

        var context = new List<JsonObject>();
        for (var i = turns.Count - 1; i >= 0; i--)
        {
            foreach (var item in JsonNode.Parse(turns[i].InputItemsJson)!.AsArray())
            {
                context.Add(item!.AsObject());
            }

            foreach (var item in JsonNode.Parse(turns[i].ResponseJson)!["output"]!.AsArray())
            {
                context.Add(item!.AsObject());
            }
        }

        return (context, turns[0].ChainRoot);
    }

    /// <summary>Stores a finished turn (when <c>store</c> is on) and appends it to its conversation; durable when it returns.</summary>
    public async Task SaveAsync(ResponseRequest request, string tenant, JsonObject response, string chainRoot, long createdAtMs)
    {
        var writes = new List<Task>(2);
        if (request.Store)
        {
            var inputs = new JsonArray([.. request.InputItems.Select(i => (JsonNode)i.DeepClone())]);
            var stored = new StoredResponse(
                tenant,
                ResponsesJson.Text(response),
                ResponsesJson.Text(inputs),
                request.PreviousResponseId,
                chainRoot,
                createdAtMs,
                createdAtMs + (long)_options.Retention.TotalMilliseconds);
            var id = response["id"]!.GetValue<string>();
            writes.Add(CallAsync(() => Response(id).StoreAsync(stored)));
            writes.Add(IndexAsync(id, stored.ExpiresAtMs));
        }

        if (request.ConversationId is { } conversationId)
        {
            var items = request.InputItems.Concat(response["output"]!.AsArray().Select(i => i!.AsObject()))
                .Select(i => new StoredItem(i["id"]!.GetValue<string>(), ResponsesJson.Text(i)))
                .ToArray();
            writes.Add(CallAsync(() => Conversation(conversationId).AppendAsync(tenant, items)));
        }

        await Task.WhenAll(writes);
    }

    /// <summary>
    /// Notes the response in the retention index, so the sweep deletes it even if nobody reads it
    /// again; the hour is noted at the root once per front-end.
    /// </summary>
    private async Task IndexAsync(string id, long expiresAtMs)
    {
        var hour = IResponseExpiryGrain.HourOf(expiresAtMs);
        await CallAsync(() => grains.GetGrain<IResponseExpiryGrain>(IResponseExpiryGrain.KeyOf(hour, id)).AddAsync(id));
        if (!_notedHours.ContainsKey(hour))
        {
            await CallAsync(() => grains.GetGrain<IResponseRetentionGrain>(0).AddHourAsync(hour));
            _notedHours[hour] = true;
        }
    }

    public long NowMs => relay.Time.GetUtcNow().ToUnixTimeMilliseconds();
}
