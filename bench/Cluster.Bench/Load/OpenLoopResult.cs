namespace Cluster.Bench.Load;

/// <summary>One constant-rate round, with how late the schedule itself sent requests.</summary>
internal sealed record OpenLoopResult(RoundResult Result, Percentiles? SendLag);
