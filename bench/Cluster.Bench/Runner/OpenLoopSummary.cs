namespace Cluster.Bench.Runner;

/// <summary>Median figures of the constant-rate rounds of one target.</summary>
internal sealed record OpenLoopSummary(
    string Target,
    double Rate,
    int Rounds,
    double Achieved,
    double? P50,
    double? P90,
    double? P99,
    int Requests,
    int Errors,
    string? FirstError,
    double? SendLagP99);
