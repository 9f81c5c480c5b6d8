namespace Cluster.Bench.Runner;

/// <summary>One burst of concurrent requests against a rate-limited tenant.</summary>
internal sealed record AccuracyBurst(
    string Label,
    int Sent,
    long Admitted,
    int Ok,
    int Rejected,
    int OtherErrors,
    string? OtherError,
    double? RetryAfterSeconds,
    string? ResetRequests,
    bool RetryAfterOnEvery429,
    double WaitedBeforeSeconds,
    double DurationSeconds);
