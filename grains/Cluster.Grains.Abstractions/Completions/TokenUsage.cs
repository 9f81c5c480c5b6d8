namespace Cluster.Grains.Completions;

/// <summary>
/// Token counts of one response. <see cref="Estimated"/> is true when the backend did not report
/// them (a stream cut short) and the gateway counted with its tokenizer.
/// </summary>
[GenerateSerializer, Immutable, Alias("Cluster.TokenUsage")]
public sealed record TokenUsage(
    [property: Id(0)] int PromptTokens,
    [property: Id(1)] int CompletionTokens,
    [property: Id(2)] int TotalTokens,
    [property: Id(3)] int? CachedTokens,
    [property: Id(4)] int? ReasoningTokens,
    [property: Id(5)] bool Estimated);
