using Cluster.Grains.Errors;

namespace Cluster.Grains.Limits;

/// <summary>
/// A limiter's answer. When admitted, the request holds a lease (its concurrency slot and reserved
/// tokens) until it is settled, released, or the lease expires. When refused, <see cref="Code"/>
/// is <see cref="GatewayErrorCode.RateLimited"/> or <see cref="GatewayErrorCode.InsufficientQuota"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("Cluster.Admission")]
public sealed record Admission(
    [property: Id(0)] bool Admitted,
    [property: Id(1)] RateLimitStatus Status,
    [property: Id(2)] GatewayErrorCode? Code,
    [property: Id(3)] string? Message,
    [property: Id(4)] TimeSpan? RetryAfter);
