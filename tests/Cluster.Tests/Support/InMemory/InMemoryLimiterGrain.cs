using Cluster.Grains.Completions;
using Cluster.Grains.Errors;
using Cluster.Grains.Limits;

namespace Cluster.Tests.Support.InMemory;

/// <summary>
/// A limiter for unit tests: admits everything unless <see cref="Refuse"/> is set, and records what
/// the request path did with its leases (admitted, settled, released), so a test can check that every
/// exit path gives back or settles what it took.
/// </summary>
public sealed class InMemoryLimiterGrain(string key) : ILimiterGrain
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, AdmissionRequest> _leases = new(StringComparer.Ordinal);

    public string Key { get; } = key;

    /// <summary>When set, every admission is refused with this.</summary>
    public Admission? Refuse { get; set; }

    public LockedCollection<AdmissionRequest> Admitted { get; } = new();

    public LockedCollection<(string RequestId, TokenUsage Usage, decimal Cost)> Settled { get; } = new();

    public LockedCollection<string> Released { get; } = new();

    /// <summary>Leases taken and neither settled nor released.</summary>
    public int OpenLeases
    {
        get
        {
            lock (_gate)
            {
                return _leases.Count;
            }
        }
    }

    public static Admission Refusal(string message, TimeSpan retryAfter) =>
        new(false, new RateLimitStatus(10, 0, retryAfter, null, null, null), GatewayErrorCode.RateLimited, message, retryAfter);

    public Task<Admission> AdmitAsync(AdmissionRequest request)
    {
        if (Refuse is { } refusal)
        {
            return Task.FromResult(refusal);
        }

        lock (_gate)
        {
            _leases[request.RequestId] = request;
        }

        Admitted.Add(request);
        return Task.FromResult(new Admission(true, new RateLimitStatus(10, 9, TimeSpan.FromMinutes(1), null, null, null), null, null, null));
    }

    public async Task<Admission?[]> ApplyAsync(LimiterOp[] ops)
    {
        var results = new Admission?[ops.Length];
        for (var i = 0; i < ops.Length; i++)
        {
            var op = ops[i];
            if (op.Admission is { } admission)
            {
                results[i] = await AdmitAsync(admission);
            }
            else if (op.Usage is { } usage)
            {
                await SettleAsync(op.EndedRequestId!, usage, op.CostUsd);
            }
            else
            {
                await ReleaseAsync(op.EndedRequestId!);
            }
        }

        return results;
    }

    public Task SettleAsync(string requestId, TokenUsage usage, decimal costUsd)
    {
        lock (_gate)
        {
            _leases.Remove(requestId);
        }

        Settled.Add((requestId, usage, costUsd));
        return Task.CompletedTask;
    }

    public Task ReleaseAsync(string requestId)
    {
        lock (_gate)
        {
            _leases.Remove(requestId);
        }

        Released.Add(requestId);
        return Task.CompletedTask;
    }

    public Task RenewAsync(string[] requestIds) => Task.CompletedTask;

    public Task ReclaimAsync(LeaseClaim[] claims) => Task.CompletedTask;

    public Task<LimiterState> GetStateAsync() => Task.FromResult(new LimiterState(OpenLeases, 0, 0, 0));
}
