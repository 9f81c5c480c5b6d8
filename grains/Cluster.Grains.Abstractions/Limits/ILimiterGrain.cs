using Cluster.Grains.Completions;

namespace Cluster.Grains.Limits;

/// <summary>
/// The one authority for a limit key, so limits are exact however many front-ends and silos there
/// are. Keyed <c>tenant/{id}</c>: requests and tokens per minute and concurrency of the tenant, of
/// each of its keys and of each tenant × model, and its daily and monthly quotas. Keyed
/// <c>deployment/{id}</c>: a backend's capacity. Admission reserves before the call; settlement
/// reconciles with real usage.
/// </summary>
[Alias("Cluster.ILimiterGrain")]
public interface ILimiterGrain : IGrainWithStringKey
{
    public static string TenantKey(string tenant) => "tenant/" + tenant;

    public static string DeploymentKey(string deployment) => "deployment/" + deployment;

    /// <summary>Admits or refuses a request; an admitted one holds a lease until settled or released.</summary>
    [Alias("Admit")]
    Task<Admission> AdmitAsync(AdmissionRequest request);

    /// <summary>Ends a lease with the request's real usage: refunds or charges the difference. Idempotent.</summary>
    [Alias("Settle")]
    Task SettleAsync(string requestId, TokenUsage usage, decimal costUsd);

    /// <summary>Ends a lease for a request that never reached a backend: everything reserved is returned. Idempotent.</summary>
    [Alias("Release")]
    Task ReleaseAsync(string requestId);

    /// <summary>
    /// Applies a front-end's batch in order: the admissions and lease ends that arrived while its
    /// previous call to this limiter was in flight, in one message. Returns, for each step, the
    /// admission's answer, or null for a lease end. Every step is idempotent by request id, as alone.
    /// </summary>
    [Alias("Apply")]
    Task<Admission?[]> ApplyAsync(LimiterOp[] ops);

    /// <summary>Keeps leases of long-running requests alive.</summary>
    [Alias("Renew")]
    Task RenewAsync(string[] requestIds);

    /// <summary>
    /// Renews the leases of a front-end's running requests, and counts again any this activation does
    /// not know: after its silo died, the limiter restarts from its last write, and the front-ends'
    /// claims (sent every second) restore the leases admitted since. Claims of requests settled or
    /// lapsed meanwhile are ignored.
    /// </summary>
    [Alias("Reclaim")]
    Task ReclaimAsync(LeaseClaim[] claims);

    /// <summary>The state of the limiter, for admin and tests: in-flight leases and quota use.</summary>
    [Alias("GetState")]
    Task<LimiterState> GetStateAsync();
}
