namespace Cluster.Grains.Usage;

/// <summary>
/// One request in the ledger, recorded once by request id. <see cref="ResponseId"/> and
/// <see cref="ConversationId"/> are set for requests of the Responses API (ids 17 and 18 were
/// added later: records stored before them read with both null).
/// </summary>
[GenerateSerializer, Immutable, Alias("Cluster.UsageRecord")]
public sealed record UsageRecord(
    [property: Id(0)] string RequestId,
    [property: Id(1)] string Tenant,
    [property: Id(2)] string? KeyId,
    [property: Id(3)] string Model,
    [property: Id(4)] string? DeploymentId,
    [property: Id(5)] string? SessionId,
    [property: Id(6)] long TimestampMs,
    [property: Id(7)] string Endpoint,
    [property: Id(8)] int PromptTokens,
    [property: Id(9)] int CompletionTokens,
    [property: Id(10)] int TotalTokens,
    [property: Id(11)] int? CachedTokens,
    [property: Id(12)] int? ReasoningTokens,
    [property: Id(13)] bool Estimated,
    [property: Id(14)] string Status,
    [property: Id(15)] int LatencyMs,
    [property: Id(16)] decimal CostUsd,
    [property: Id(17)] string? ResponseId = null,
    [property: Id(18)] string? ConversationId = null);
