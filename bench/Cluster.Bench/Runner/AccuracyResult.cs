namespace Cluster.Bench.Runner;

/// <summary>The rate-limit accuracy check: bursts against a tenant limited to <see cref="Limit"/> requests a minute.</summary>
internal sealed record AccuracyResult(long Limit, IReadOnlyList<AccuracyBurst> Bursts, string? Failure);
