using Cluster.Bench.Load;

namespace Cluster.Bench.Runner;

/// <summary>One round of one cell, with the per-request counters read around it.</summary>
internal sealed record CellRound(RoundResult Result, double? AllocatedBytesPerRequest, double? GrainCallsPerRequest, double? UpstreamCallsPerRequest);
