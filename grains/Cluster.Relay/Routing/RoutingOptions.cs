namespace Cluster.Relay.Routing;

/// <summary>
/// The <c>Routing</c> section: retries, failover, circuit breaking, health checks and sessions.
/// The keys keep the units the README documents (seconds, milliseconds, minutes); the code reads
/// the <see cref="TimeSpan"/> properties computed from them.
/// </summary>
public sealed class RoutingOptions
{
    public const string SectionName = "Routing";

    /// <summary>Attempts per request across deployments and fallback models, before the first byte.</summary>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>Wait before the second attempt, in milliseconds; doubles for each further one.</summary>
    public int RetryBackoffMs { get; set; } = 25;

    /// <summary>Failures within <see cref="FailureWindowSeconds"/> that open a deployment's circuit.</summary>
    public int FailureThreshold { get; set; } = 3;

    /// <summary>The window, in seconds, in which a deployment's failures are counted.</summary>
    public int FailureWindowSeconds { get; set; } = 30;

    /// <summary>How long, in seconds, an open circuit keeps a deployment out before one probe request is let through.</summary>
    public int CooldownSeconds { get; set; } = 30;

    /// <summary>When set, <c>GET {BaseUrl}/models</c> is checked this often (seconds) for each deployment in use.</summary>
    public int? HealthCheckIntervalSeconds { get; set; }

    /// <summary>A session forgets its pins after this many minutes without requests.</summary>
    public int SessionTtlMinutes { get; set; } = 30;

    /// <summary>
    /// How long (milliseconds) a request waits for its session's pin before it is routed by the
    /// model's strategy (and pinned after serving): a session grain that was on a silo that died is
    /// unreachable until the cluster declares the silo dead, and a session must not stall on it.
    /// </summary>
    public int SessionLookupTimeoutMs { get; set; } = 500;

    /// <summary>How often (milliseconds) each front-end reports to and learns from the deployments' status grains.</summary>
    public int StatusSyncMilliseconds { get; set; } = 1000;

    /// <summary><see cref="RetryBackoffMs"/>: the wait before the second attempt.</summary>
    public TimeSpan RetryBackoff => TimeSpan.FromMilliseconds(RetryBackoffMs);

    /// <summary><see cref="FailureWindowSeconds"/> as a duration.</summary>
    public TimeSpan FailureWindow => TimeSpan.FromSeconds(FailureWindowSeconds);

    /// <summary><see cref="CooldownSeconds"/> as a duration.</summary>
    public TimeSpan Cooldown => TimeSpan.FromSeconds(CooldownSeconds);

    /// <summary><see cref="HealthCheckIntervalSeconds"/> as a duration; null when active checks are off.</summary>
    public TimeSpan? HealthCheckInterval => HealthCheckIntervalSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null;

    /// <summary><see cref="SessionTtlMinutes"/> as a duration.</summary>
    public TimeSpan SessionTtl => TimeSpan.FromMinutes(SessionTtlMinutes);

    /// <summary><see cref="SessionLookupTimeoutMs"/> as a duration.</summary>
    public TimeSpan SessionLookupTimeout => TimeSpan.FromMilliseconds(SessionLookupTimeoutMs);

    /// <summary>
    /// <c>prefix-aware</c> routing: how far over the model's average requests in flight (per unit of
    /// weight), in percent, a deployment may go before prompts whose prefix it holds spill to the
    /// next deployment. Lower spreads hot prefixes sooner at the cost of cache misses.
    /// </summary>
    public int PrefixSpillPercent { get; set; } = 200;

    /// <summary><c>prefix-aware</c> routing: below this many requests in flight a deployment never counts as over its share.</summary>
    public int PrefixMinInFlight { get; set; } = 4;

    /// <summary>
    /// <c>prefix-aware</c> routing: how far over its weighted share of the model's prefix homes (each
    /// weighed by its recent requests), in percent, a deployment may go and still become the home of a
    /// new prefix; past it, the prefix goes to its next rendezvous candidate (bounded-load consistent
    /// hashing). Lower balances the homes more evenly, higher keeps more prefixes on their first choice.
    /// </summary>
    public int PrefixHomeSlackPercent { get; set; } = 10;

    /// <summary><see cref="StatusSyncMilliseconds"/> as a duration.</summary>
    public TimeSpan StatusSync => TimeSpan.FromMilliseconds(StatusSyncMilliseconds);

    public CircuitPolicy Policy(string? baseUrl) => new(
        FailureThreshold,
        FailureWindow,
        Cooldown,
        HealthCheckInterval,
        baseUrl is null ? null : baseUrl.TrimEnd('/') + "/models");
}
