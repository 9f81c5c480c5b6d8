using System.Text.Json.Nodes;

namespace Cluster.Api.Responses;

/// <summary>
/// What was said before a turn: the items, oldest first (read only: a cached context is shared by
/// the turns that continue it), the chain's root (the session key), the ids of the chain's
/// responses, oldest first (empty for a first turn or a conversation), and when the first of them
/// expires (<see cref="long.MaxValue"/> when none does).
/// </summary>
internal sealed record TurnContext(IReadOnlyList<JsonObject> Items, string? ChainRoot, string[] Chain, long ExpiresAtMs)
{
    public static readonly TurnContext Empty = new([], null, [], long.MaxValue);

    /// <summary>
    /// Completes once the context is confirmed to still exist; throws the 404 when a response of
    /// the chain is gone. A context from this front-end's cache is confirmed while the turn is
    /// translated, admitted and planned: the relay awaits it before any backend is called
    /// (<c>CompletionRequest.Precondition</c>).
    /// </summary>
    public Task Confirmed { get; init; } = Task.CompletedTask;
}
