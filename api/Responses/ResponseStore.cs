using System.Text.Json.Nodes;
using Cluster.Grains.Conversations;
using Cluster.Grains.Errors;
using Cluster.Grains.Responses;
using Cluster.Grains.Runtime;
using Cluster.Relay.Cluster;
using Cluster.Relay.Completions;
using Microsoft.Extensions.Options;

namespace Cluster.Api.Responses;

/// <summary>
/// The front-end's side of the stored state: rebuilds a turn's context from the response chain or
/// the conversation, and stores what a turn said. Every read names the caller's tenant, so
/// another tenant's ids read as absent (404).
/// </summary>
internal sealed class ResponseStore(IGrainFactory grains, RelayServices relay, ChainContextCache cache, IOptions<ResponsesOptions> options, IServiceProvider services)
{
    private readonly ResponsesOptions _options = options.Value;

    // The silo's own writer when this process hosts one (straight to storage), else the writer grain on a silo.
    private readonly IResponseRecordWriter _writer = services.GetService<IResponseRecordWriter>() ?? new WriterGrain(grains.GetGrain<IResponseWriterGrain>(0));

    /// <summary>
    /// A call to a response or conversation grain, sent again while the cluster moves the grain
    /// off a silo that died (every call is idempotent: stores replace, appends skip items already there).
    /// </summary>
    public Task<T> CallAsync<T>(Func<Task<T>> call) => ClusterCalls.RetryAsync(call, relay.RetryWindow, relay.Time);

    public Task CallAsync(Func<Task> call) => ClusterCalls.RetryAsync(call, relay.RetryWindow, relay.Time);

    public IResponseGrain Response(string id) => grains.Get<IResponseGrain>(id);

    public IConversationGrain Conversation(string id) => grains.Get<IConversationGrain>(id);

    /// <summary>
    /// What was said before this turn: the inputs and outputs of every response of the chain
    /// (never their instructions), oldest first, or the conversation's items. A chain this
    /// front-end served holds its context in <see cref="ChainContextCache"/>: then only the
    /// existence of each of its responses is checked (in parallel), so a deletion still wins.
    /// </summary>
    public async Task<TurnContext> ContextAsync(ResponseRequest request, string tenant)
    {
        if (request.ConversationId is { } conversationId)
        {
            var items = (ResponseIds.IsWellFormed(conversationId, ResponseIds.Conversation) ? await CallAsync(() => Conversation(conversationId).GetItemsAsync(tenant)) : null)
                ?? throw new GatewayException(GatewayErrorCode.NotFound, $"Conversation with id '{conversationId}' not found.", "conversation");
            return new TurnContext([.. items.Select(i => JsonNode.Parse(i.Json)!.AsObject())], conversationId, [], long.MaxValue);
        }

        if (request.PreviousResponseId is not { } previous)
        {
            return TurnContext.Empty;
        }

        if (cache.TryGet(previous, tenant, NowMs, out var cached))
        {
            CheckLength(cached.Chain.Length);
            var confirmed = ConfirmAsync(cached, tenant, previous);

            // A turn that fails before it sends anything never awaits it.
            _ = confirmed.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return cached with { Confirmed = confirmed };
        }

        var turns = new List<StoredResponse>();
        var ids = new List<string>();
        for (var id = previous; id is not null;)
        {
            CheckLength(turns.Count);
            var stored = (ResponseIds.IsWellFormed(id, ResponseIds.Response) ? await CallAsync(() => Response(id).GetAsync(tenant)) : null) ?? throw Missing(id, previous);
            turns.Add(stored);
            ids.Add(id);
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

        ids.Reverse();
        var read = new TurnContext(context, turns[0].ChainRoot, [.. ids], turns.Min(t => t.ExpiresAtMs));
        cache.Add(previous, tenant, read);
        return read;
    }

    /// <summary>
    /// Notes a turn's response (<paramref name="request"/> with <c>store</c> on) in the retention
    /// index while the backend works, so the end of the turn waits for the response's own write
    /// only. An index entry whose response is never stored costs the sweep one empty read. Await
    /// the task before the response is stored.
    /// </summary>
    public Task PrepareAsync(ResponseRequest request, string id, long createdAtMs)
    {
        if (!request.Store)
        {
            return Task.CompletedTask;
        }

        var prepared = IndexAsync(id, createdAtMs + (long)_options.Retention.TotalMilliseconds);

        // A turn that fails before its end never awaits it.
        _ = prepared.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return prepared;
    }

    /// <summary>
    /// Stores a finished turn (when <c>store</c> is on; <paramref name="prepared"/> from
    /// <see cref="PrepareAsync"/>) and appends it to its conversation; durable when it returns.
    /// Gives back the response object's JSON, written once for storage and the client.
    /// </summary>
    public async Task<byte[]> SaveAsync(ResponseRequest request, string tenant, JsonObject response, TurnContext context, string chainRoot, long createdAtMs, Task prepared)
    {
        var writes = new List<Task>(3) { prepared };
        var id = response["id"]!.GetValue<string>();
        var json = ResponsesJson.Bytes(response);
        var expiresAtMs = createdAtMs + (long)_options.Retention.TotalMilliseconds;
        if (request.Store)
        {
            var stored = new StoredResponse(
                tenant,
                System.Text.Encoding.UTF8.GetString(json),
                ResponsesJson.ArrayText(request.InputItems),
                request.PreviousResponseId,
                chainRoot,
                createdAtMs,
                expiresAtMs);
            writes.Add(CallAsync(() => _writer.StoreAsync(id, stored)));
        }

        if (request.ConversationId is { } conversationId)
        {
            var items = request.InputItems.Concat(response["output"]!.AsArray().Select(i => i!.AsObject()))
                .Select(i => new StoredItem(i["id"]!.GetValue<string>(), ResponsesJson.Text(i)))
                .ToArray();
            writes.Add(CallAsync(() => Conversation(conversationId).AppendAsync(tenant, items)));
        }

        await Task.WhenAll(writes);
        if (request.Store && request.ConversationId is null)
        {
            // The next turn of this chain replays all of this: kept, so it is not read again.
            var said = new List<JsonObject>(context.Items.Count + request.InputItems.Count + 4);
            said.AddRange(context.Items);
            said.AddRange(request.InputItems);
            said.AddRange(response["output"]!.AsArray().Select(i => i!.AsObject()));
            cache.Add(id, tenant, new TurnContext(said, chainRoot, [.. context.Chain, id], Math.Min(context.ExpiresAtMs, expiresAtMs)), built: context.Items.Count);
        }

        return json;
    }

    /// <summary>
    /// Deletes a response: from storage, and from this front-end's contexts. The first response of
    /// its chain notes the deletion first, so every front-end holding the chain's context learns it
    /// when it confirms the chain.
    /// </summary>
    public async Task<bool> DeleteAsync(string id, string tenant)
    {
        cache.Remove(id);
        if (!ResponseIds.IsWellFormed(id, ResponseIds.Response) || await CallAsync(() => Response(id).GetAsync(tenant)) is not { } stored)
        {
            return false;
        }

        if (stored.ChainRoot != id && ResponseIds.IsWellFormed(stored.ChainRoot, ResponseIds.Response))
        {
            await CallAsync(() => Response(stored.ChainRoot).NoteDeletedAsync(id));
        }

        return await CallAsync(() => Response(id).DeleteAsync(tenant));
    }

    /// <summary>
    /// Every response of a cached chain still exists for the tenant, or the 404 naming the first
    /// one gone: one call to the chain's first response, which notes the deletions of the others
    /// (or, for a chain that did not start with a response, one small call per response, in parallel).
    /// </summary>
    private async Task ConfirmAsync(TurnContext cached, string tenant, string previous)
    {
        int gone;
        if (cached.Chain[0] == cached.ChainRoot)
        {
            gone = await CallAsync(() => Response(cached.Chain[0]).FirstGoneAsync(tenant, cached.Chain));
        }
        else
        {
            var exists = await Task.WhenAll(cached.Chain.Select(id => CallAsync(() => Response(id).ExistsAsync(tenant))));
            gone = Array.IndexOf(exists, false);
        }

        if (gone >= 0)
        {
            cache.Remove(cached.Chain[gone]);
            throw Missing(cached.Chain[gone], previous);
        }
    }

    private void CheckLength(int count)
    {
        if (count >= _options.MaxChainLength)
        {
            throw GatewayException.BadRequest(
                $"The chain of 'previous_response_id' is longer than {_options.MaxChainLength} responses; continue it in a conversation instead.", "previous_response_id");
        }
    }

    private static GatewayException Missing(string id, string previous) => new(
        GatewayErrorCode.NotFound,
        id == previous ? $"Previous response with id '{id}' not found." : $"Response '{id}', earlier in the chain of '{previous}', no longer exists; the context cannot be rebuilt.",
        "previous_response_id");

    /// <summary>Notes the response in the retention index, so the sweep deletes it even if nobody reads it again.</summary>
    private Task IndexAsync(string id, long expiresAtMs) => CallAsync(() => _writer.IndexAsync(id, expiresAtMs));

    public long NowMs => relay.Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>A client-mode front-end's writer: the writer grain on a silo, which writes through that silo's own.</summary>
    private sealed class WriterGrain(IResponseWriterGrain grain) : IResponseRecordWriter
    {
        public Task StoreAsync(string id, StoredResponse response) => grain.StoreAsync(id, response);

        public Task IndexAsync(string id, long expiresAtMs) => grain.IndexAsync(id, expiresAtMs);
    }
}
