using Cluster.Grains.Completions;

namespace Cluster.Api.OpenAI;

/// <summary>
/// The fields of a request body the gateway acts on; everything else is forwarded unread.
/// <see cref="Prompt"/> is where the chat <c>messages</c> array or the completion <c>prompt</c> sits
/// in the body (empty for embeddings): what prefix-aware routing hashes.
/// </summary>
internal readonly record struct ParsedRequest(
    string Model,
    TokenSpan ModelToken,
    bool Stream,
    StreamUsageOption StreamUsage,
    int? MaxTokens,
    string? User,
    string? PromptCacheKey,
    TokenSpan Prompt = default);
