using Cluster.Grains.Completions;

namespace Cluster.Grains.Limits;

/// <summary>
/// One step in a front-end's batch to a limiter (<see cref="ILimiterGrain.ApplyAsync"/>): admit a
/// request, or end a request's lease, settled with its real usage or released in full.
/// </summary>
[GenerateSerializer, Immutable, Alias("Cluster.LimiterOp")]
public sealed record LimiterOp(
    [property: Id(0)] AdmissionRequest? Admission,
    [property: Id(1)] string? EndedRequestId,
    [property: Id(2)] TokenUsage? Usage,
    [property: Id(3)] decimal CostUsd)
{
    public static LimiterOp Admit(AdmissionRequest request) => new(request, null, null, 0);

    public static LimiterOp Settle(string requestId, TokenUsage usage, decimal costUsd) => new(null, requestId, usage, costUsd);

    public static LimiterOp Release(string requestId) => new(null, requestId, null, 0);
}
