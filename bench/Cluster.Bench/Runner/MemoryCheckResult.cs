namespace Cluster.Bench.Runner;

/// <summary>The memory-flatness phase: steady load on one gateway while its RSS is sampled.</summary>
internal sealed record MemoryCheckResult(string Target, int Concurrency, double DurationSeconds, double Throughput, int Errors, IReadOnlyList<MemoryTrace> Traces);
