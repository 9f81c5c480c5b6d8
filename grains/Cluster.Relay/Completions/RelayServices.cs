using Cluster.Relay.Cluster;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cluster.Relay.Completions;

/// <summary>What a <see cref="RequestAccount"/> needs from the silo, gathered once.</summary>
internal sealed partial class RelayServices(
    IGrainFactory grains,
    AccessView access,
    UsageRecorder usage,
    LimiterCalls limiters,
    LeaseRenewer leases,
    SessionUsageTally sessionUsage,
    TokenCounter tokens,
    TimeProvider time,
    IOptions<LimitOptions> limits,
    IOptions<RelayClusterOptions> cluster,
    ILogger<RelayServices> logger)
{
    public IGrainFactory Grains => grains;

    public AccessView Access => access;

    public UsageRecorder Usage => usage;

    public LimiterCalls Limiters => limiters;

    public LeaseRenewer Leases => leases;

    public SessionUsageTally SessionUsage => sessionUsage;

    public TokenCounter Tokens => tokens;

    public TimeProvider Time => time;

    public int DefaultCompletionTokens { get; } = limits.Value.DefaultCompletionTokens;

    /// <summary>How long grain calls of a request are sent again while the cluster recovers from a lost silo.</summary>
    public TimeSpan RetryWindow { get; } = cluster.Value.RetryWindow;

    public void SettlementFailed(string limiter, Exception exception) => LogSettlementFailed(logger, exception, limiter);

    [LoggerMessage(14, LogLevel.Warning, "Settling a lease on limiter {Limiter} failed; the lease lapses by itself")]
    private static partial void LogSettlementFailed(ILogger logger, Exception exception, string limiter);
}
