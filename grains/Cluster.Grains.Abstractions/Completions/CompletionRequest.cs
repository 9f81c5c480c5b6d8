namespace Cluster.Grains.Completions;

/// <summary>
/// One client request as the front-end hands it to a model grain. <see cref="Body"/> is the
/// client's JSON, untouched: the grain rewrites only the model name (at
/// <see cref="ModelToken"/>) and, for streams, asks the backend for usage.
/// </summary>
[GenerateSerializer, Immutable, Alias("Cluster.CompletionRequest")]
public sealed record CompletionRequest(
    [property: Id(0)] string RequestId,
    [property: Id(1)] EndpointKind Kind,
    [property: Id(2)] string Model,
    [property: Id(3)] string RequestedModel,
    [property: Id(4)] byte[] Body,
    [property: Id(5)] TokenSpan ModelToken,
    [property: Id(6)] bool Stream,
    [property: Id(7)] StreamUsageOption StreamUsage,
    [property: Id(8)] int? MaxTokens,
    [property: Id(9)] CallerIdentity Caller,
    [property: Id(10)] string? SessionId,
    [property: Id(12)] bool ReportDispatch = false);
