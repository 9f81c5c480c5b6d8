using Cluster.Grains.Completions;

namespace Cluster.Api.OpenAI;

/// <summary>The fields of a request body the gateway acts on; everything else is forwarded unread.</summary>
internal readonly record struct ParsedRequest(
    string Model,
    TokenSpan ModelToken,
    bool Stream,
    StreamUsageOption StreamUsage,
    int? MaxTokens,
    string? User,
    string? PromptCacheKey);
