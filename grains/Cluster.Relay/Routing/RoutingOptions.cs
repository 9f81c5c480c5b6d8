namespace Cluster.Relay.Routing;

/// <summary>The <c>Routing</c> section: retries, failover, circuit breaking, health checks and sessions.</summary>
public sealed class RoutingOptions
{
    public const string SectionName = "Routing";

    /// <summary>Attempts per request across deployments and fallback models, before the first byte.</summary>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>Wait before the second attempt; doubles for each further one.</summary>
    public int RetryBackoffMs { get; set; } = 25;

    /// <summary>Failures within <see cref="FailureWindowSeconds"/> that open a deployment's circuit.</summary>
    public int FailureThreshold { get; set; } = 3;

    public int FailureWindowSeconds { get; set; } = 30;

    /// <summary>How long an open circuit keeps a deployment out before one probe request is let through.</summary>
    public int CooldownSeconds { get; set; } = 30;

    /// <summary>When set, <c>GET {BaseUrl}/models</c> is checked this often for each deployment in use.</summary>
    public int? HealthCheckIntervalSeconds { get; set; }

    /// <summary>A session forgets its pins after this long without requests.</summary>
    public int SessionTtlMinutes { get; set; } = 30;

    /// <summary>
    /// How long a request waits for its session's pin before it is routed by the model's strategy
    /// (and pinned after serving): a session grain that was on a silo that died is unreachable until
    /// the cluster declares the silo dead, and a session must not stall on it.
    /// </summary>
    public int SessionLookupTimeoutMs { get; set; } = 500;

    public TimeSpan SessionLookupTimeout => TimeSpan.FromMilliseconds(SessionLookupTimeoutMs);

    /// <summary>
    /// <c>prefix-aware</c> routing: how far over the model's average requests in flight (per unit of
    /// weight), in percent, a deployment may go before prompts whose prefix it holds spill to the
    /// next deployment. Lower spreads hot prefixes sooner at the cost of cache misses.
    /// </summary>
    public int PrefixSpillPercent { get; set; } = 200;

    /// <summary><c>prefix-aware</c> routing: below this many requests in flight a deployment never counts as over its share.</summary>
    public int PrefixMinInFlight { get; set; } = 4;

    /// <summary>How often each front-end reports to and learns from the deployments' status grains.</summary>
    public int StatusSyncMilliseconds { get; set; } = 1000;

    public CircuitPolicy Policy(string? baseUrl) => new(
        FailureThreshold,
        TimeSpan.FromSeconds(FailureWindowSeconds),
        TimeSpan.FromSeconds(CooldownSeconds),
        HealthCheckIntervalSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
        baseUrl is null ? null : baseUrl.TrimEnd('/') + "/models");
}
