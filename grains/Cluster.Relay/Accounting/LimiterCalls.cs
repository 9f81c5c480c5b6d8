using Cluster.Grains.Runtime;
using Cluster.Relay.Cluster;
using Microsoft.Extensions.Options;

namespace Cluster.Relay.Accounting;

/// <summary>
/// This front-end's calls to limiters: admissions and lease ends for one limiter travel together
/// (<see cref="ILimiterGrain.ApplyAsync"/>), one call in flight per limiter, each call resent while
/// the cluster moves the limiter off a silo that died (every step is idempotent by request id).
/// </summary>
internal sealed class LimiterCalls
{
    private readonly CallBatcher<LimiterOp, Admission?> _batches;

    public LimiterCalls(IGrainFactory grains, IOptions<RelayClusterOptions> cluster, TimeProvider time) =>
        _batches = new CallBatcher<LimiterOp, Admission?>((limiter, ops) =>
            ClusterCalls.RetryAsync(() => grains.Get<ILimiterGrain>(limiter).ApplyAsync(ops), cluster.Value.RetryWindow, time));

    public async Task<Admission> AdmitAsync(string limiter, AdmissionRequest request) =>
        await _batches.SendAsync(limiter, LimiterOp.Admit(request)).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Limiter {limiter} gave no answer for admission {request.RequestId}.");

    public Task SettleAsync(string limiter, string requestId, TokenUsage usage, decimal costUsd) =>
        _batches.SendAsync(limiter, LimiterOp.Settle(requestId, usage, costUsd));

    public Task ReleaseAsync(string limiter, string requestId) =>
        _batches.SendAsync(limiter, LimiterOp.Release(requestId));
}
