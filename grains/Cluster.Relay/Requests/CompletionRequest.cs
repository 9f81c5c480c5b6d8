namespace Cluster.Relay.Requests;

/// <summary>
/// One client request as the front-end read it. <see cref="Body"/> is the client's JSON, untouched:
/// the relay rewrites only the model name (at <see cref="ModelToken"/>) and, for streams, asks the
/// backend for usage. <see cref="ResponseId"/> and <see cref="ConversationId"/> are set when the
/// request is a turn of the Responses API translated to a chat completion; the ledger records them.
/// <see cref="Prompt"/> is the prompt in hashed blocks, computed once when the body was read, for
/// prefix-aware routing. <see cref="ResponsesBody"/> is set for a Responses turn that a deployment
/// speaking <c>/responses</c> natively may be sent instead of <see cref="Body"/>: the turn with its
/// whole context as input and <c>store: false</c> (read only: every attempt writes it anew).
/// <see cref="Precondition"/>, when set, is awaited once the request is admitted and its attempts
/// planned, before any backend is called; if it fails, the request fails with its exception and
/// its admission is given back (a Responses follow-up's check that its chain still exists runs
/// meanwhile instead of before the relay).
/// </summary>
public sealed record CompletionRequest(
    string RequestId,
    EndpointKind Kind,
    string Model,
    string RequestedModel,
    byte[] Body,
    TokenSpan ModelToken,
    bool Stream,
    StreamUsageOption StreamUsage,
    int? MaxTokens,
    CallerIdentity Caller,
    string? SessionId,
    string? ResponseId = null,
    string? ConversationId = null,
    PromptBlocks? Prompt = null,
    System.Text.Json.Nodes.JsonObject? ResponsesBody = null,
    Task? Precondition = null);
