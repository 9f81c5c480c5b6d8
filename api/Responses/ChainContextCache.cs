using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace Cluster.Api.Responses;

/// <summary>
/// The contexts of the response chains this front-end just served, by the id of the chain's last
/// response, so a follow-up does not read every response of its chain again and parse it. Correct
/// because a stored response never changes: it can only be deleted (by its owner, or at the end of
/// its retention). A hit is therefore only used once every response of its chain is confirmed to
/// still exist for the tenant (one small grain call each, in parallel), so a deletion on any
/// front-end still wins. Bounded by <c>Responses:ContextCacheEntries</c>, oldest out first.
/// </summary>
internal sealed class ChainContextCache(IOptions<ResponsesOptions> options)
{
    private readonly int _capacity = options.Value.ContextCacheEntries;
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();

    /// <summary>The context ending with response <paramref name="id"/>, if this front-end holds it for <paramref name="tenant"/> and none of it has expired.</summary>
    public bool TryGet(string id, string tenant, long nowMs, out TurnContext context)
    {
        if (_entries.TryGetValue(id, out var entry) && entry.Tenant == tenant && nowMs < entry.Context.ExpiresAtMs)
        {
            context = entry.Context;
            return true;
        }

        context = TurnContext.Empty;
        return false;
    }

    /// <summary>
    /// Keeps <paramref name="context"/>, the context a turn continuing response <paramref name="id"/>
    /// replays. Its first <paramref name="built"/> items are already shared (they came from this
    /// cache), so a chain's turn builds only its own items, not the whole chain again.
    /// </summary>
    public void Add(string id, string tenant, TurnContext context, int built = 0)
    {
        if (_capacity == 0)
        {
            return;
        }

        // Shared by concurrent readers from now on: JSON nodes build their children on first
        // access, so every node is built here, once, before anyone else can see it.
        for (var i = built; i < context.Items.Count; i++)
        {
            Materialize(context.Items[i]);
        }

        if (_entries.TryAdd(id, new Entry(tenant, context)))
        {
            _order.Enqueue(id);
            while (_entries.Count > _capacity && _order.TryDequeue(out var oldest))
            {
                _entries.TryRemove(oldest, out _);
            }
        }
    }

    /// <summary>Forgets a deleted response (other front-ends learn of it when they check the chain).</summary>
    public void Remove(string id) => _entries.TryRemove(id, out _);

    private static void Materialize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, value) in o)
                {
                    Materialize(value);
                }

                break;
            case JsonArray a:
                foreach (var value in a)
                {
                    Materialize(value);
                }

                break;
        }
    }

    private sealed record Entry(string Tenant, TurnContext Context);
}
