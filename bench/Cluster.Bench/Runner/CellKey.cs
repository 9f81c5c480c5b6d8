namespace Cluster.Bench.Runner;

/// <summary>One cell of the result tables: a target at one load level, streamed or not.</summary>
internal readonly record struct CellKey(string Target, bool Stream, int Concurrency);
