namespace Cluster.Bench.Gateway;

/// <summary>The two counters the bench reads from a gateway's <c>/metrics</c>.</summary>
internal sealed record MetricsSample(double? AllocatedBytes, double? GrainCalls);
