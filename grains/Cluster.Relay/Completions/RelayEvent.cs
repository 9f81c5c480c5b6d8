namespace Cluster.Relay.Completions;

/// <summary>
/// One step of a relayed response (see <see cref="CompletionRelay"/>). <see cref="RelayEventKind.Started"/>
/// carries the deployment and the rate-limit figures, <see cref="RelayEventKind.Chunk"/> the bytes,
/// <see cref="RelayEventKind.Finished"/> the usage. Failures are thrown, not sent as events.
/// </summary>
public readonly record struct RelayEvent(RelayEventKind Kind, byte[]? Data = null, string? DeploymentId = null, RateLimitStatus? Limits = null, TokenUsage? Usage = null)
{
    public static RelayEvent Started(string deploymentId, RateLimitStatus? limits) => new(RelayEventKind.Started, DeploymentId: deploymentId, Limits: limits);

    public static RelayEvent Chunk(byte[] data) => new(RelayEventKind.Chunk, Data: data);

    public static RelayEvent Finished(TokenUsage usage) => new(RelayEventKind.Finished, Usage: usage);
}
