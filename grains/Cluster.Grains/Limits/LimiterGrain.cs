using System.Globalization;
using Cluster.Grains.Access;
using Cluster.Grains.Completions;
using Cluster.Grains.Errors;
using Cluster.Grains.Placement;
using Orleans.Concurrency;
using Orleans.Serialization;

namespace Cluster.Grains.Limits;

/// <summary>
/// One tenant's (or one deployment's) limits in one place, so they are exact however many
/// front-ends and silos serve it.
/// Reentrant: admission and settlement have no await between check and update, so interleaving
/// cannot over-admit, and a state write in progress does not hold up admissions (it writes a copy).
/// </summary>
[Reentrant, HomeSiloPlacement]
internal sealed class LimiterGrain(
    [PersistentState("limits", GrainStorage.Name)] IPersistentState<LimiterGrainState> state,
    DeepCopier copier,
    TimeProvider time) : Grain, ILimiterGrain, IGrainMigrationParticipant
{
    /// <summary>A lease lapses this long after admission or its last renewal.</summary>
    public static readonly TimeSpan LeaseLifetime = TimeSpan.FromMinutes(2);

    /// <summary>
    /// After re-activating from stored state, admissions wait this long: front-ends re-assert the leases
    /// admitted since the last write within a second (<see cref="ReclaimAsync"/>), so counting resumes
    /// exact instead of forgetting them. Restored leases not re-asserted lapse soon after.
    /// </summary>
    public static readonly TimeSpan RecoveryPeriod = TimeSpan.FromSeconds(1.5);

    private static readonly TimeSpan RestoredLeaseLifetime = TimeSpan.FromSeconds(5);

    /// <summary>Settlements of requests this activation never knew still count toward quotas for this long after recovery.</summary>
    private static readonly TimeSpan UnknownSettlementWindow = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan LapsedMemory = TimeSpan.FromHours(1);
    private DateTimeOffset? _recoveringUntil;
    private DateTimeOffset? _countUnknownUntil;

    /// <summary>Requests settled or released since a recovery: a claim sent before their end must not count them again.</summary>
    private readonly HashSet<string> _endedSinceRecovery = new(StringComparer.Ordinal);
    private static readonly TimeSpan ConcurrencyRetry = TimeSpan.FromSeconds(1);
    private LimiterGrainState _live = new();

    /// <summary>Moved here from another silo with its live counters (not restarted from storage): no recovery.</summary>
    private bool _migrated;
    private bool _dirty;
    private Task? _writing;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!_migrated)
        {
            _live = state.State;
        }

        if (!_migrated && state.RecordExists && _live.Leases.Count > 0)
        {
            // Restarted from stored state with requests in flight: likely after a silo died. Leases
            // admitted after the last write are unknown until their front-ends reclaim them.
            var now = time.GetUtcNow();
            _recoveringUntil = now + RecoveryPeriod;
            _countUnknownUntil = now + UnknownSettlementWindow;
            var expires = (now + RestoredLeaseLifetime).ToUnixTimeMilliseconds();
            foreach (var lease in _live.Leases.Values)
            {
                lease.ExpiresAtMs = Math.Min(lease.ExpiresAtMs, expires);
            }
        }

        this.RegisterGrainTimer(TickAsync, new GrainTimerCreationOptions(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)) { Interleave = true });
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_writing is { } writing)
        {
            await writing;
        }

        if (_dirty)
        {
            await PersistAsync();
        }
    }

    /// <summary>Moving to another silo (<see cref="HomeSiloPlacement"/>): the live counters go along, exact to the last request.</summary>
    public void OnDehydrate(IDehydrationContext dehydrationContext)
    {
        dehydrationContext.TryAddValue(MigratedState, _live);
        dehydrationContext.TryAddValue(MigratedRecovery, new MigratedRecoveryWindow(_countUnknownUntil, [.. _endedSinceRecovery]));
    }

    public void OnRehydrate(IRehydrationContext rehydrationContext)
    {
        if (rehydrationContext.TryGetValue<LimiterGrainState>(MigratedState, out var live) && live is not null)
        {
            _live = live;
            _migrated = true;
            _dirty = true;
        }

        if (rehydrationContext.TryGetValue<MigratedRecoveryWindow>(MigratedRecovery, out var window) && window is not null)
        {
            _countUnknownUntil = window.CountUnknownUntil;
            _endedSinceRecovery.UnionWith(window.EndedSinceRecovery);
        }
    }

    private const string MigratedState = "limiter.live";
    private const string MigratedRecovery = "limiter.recovery";

    public Task<Admission?[]> ApplyAsync(LimiterOp[] ops)
    {
        var results = new Admission?[ops.Length];
        var admissionsWait = _recoveringUntil is { } until && time.GetUtcNow() < until;
        for (var i = 0; i < ops.Length; i++)
        {
            var op = ops[i];
            if (op.Admission is { } admission)
            {
                if (!admissionsWait)
                {
                    results[i] = Admit(admission);
                }
            }
            else if (op.Usage is { } usage)
            {
                Settle(op.EndedRequestId!, usage, op.CostUsd);
            }
            else
            {
                Release(op.EndedRequestId!);
            }
        }

        return admissionsWait ? AdmitAfterRecoveryAsync(ops, results) : Task.FromResult(results);
    }

    /// <summary>A batch that arrived during recovery: its lease ends are applied, its admissions wait for the claims.</summary>
    private async Task<Admission?[]> AdmitAfterRecoveryAsync(LimiterOp[] ops, Admission?[] results)
    {
        for (var i = 0; i < ops.Length; i++)
        {
            if (ops[i].Admission is { } admission)
            {
                results[i] = await AdmitAsync(admission);
            }
        }

        return results;
    }

    public Task<Admission> AdmitAsync(AdmissionRequest request) =>
        _recoveringUntil is { } until && time.GetUtcNow() < until ? AdmitAfterRecoveryAsync(request, until) : Task.FromResult(Admit(request));

    private async Task<Admission> AdmitAfterRecoveryAsync(AdmissionRequest request, DateTimeOffset until)
    {
        var wait = until - time.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, time);
        }

        _recoveringUntil = null;
        return Admit(request);
    }

    private Admission Admit(AdmissionRequest request)
    {
        var now = time.GetUtcNow();
        var second = now.ToUnixTimeSeconds();
        RollPeriods(now);
        if (_live.Leases.ContainsKey(request.RequestId))
        {
            return new Admission(true, Status(request, now), null, null, null);
        }

        var scopes = ScopesOf(request);
        foreach (var (name, limits) in scopes)
        {
            var counters = Counters(name);
            if (limits.Rpm is { } rpm && counters.Requests.Sum(second) + 1 > rpm)
            {
                return Refuse(request, now, GatewayErrorCode.RateLimited,
                    $"Rate limit reached for {Describe(name)}: {rpm} requests per minute.", counters.Requests.TimeUntilFits(1, rpm, now));
            }

            if (limits.Tpm is { } tpm)
            {
                if (request.ReservedTokens > tpm)
                {
                    return Refuse(request, now, GatewayErrorCode.RateLimited,
                        $"This request needs up to {request.ReservedTokens} tokens (prompt plus max_tokens), more than the limit of {tpm} tokens per minute for {Describe(name)} can ever allow. Lower max_tokens or shorten the prompt.", null);
                }

                if (counters.Tokens.Sum(second) + request.ReservedTokens > tpm)
                {
                    return Refuse(request, now, GatewayErrorCode.RateLimited,
                        $"Rate limit reached for {Describe(name)}: {tpm} tokens per minute. This request reserves {request.ReservedTokens} tokens.",
                        counters.Tokens.TimeUntilFits(request.ReservedTokens, tpm, now));
                }
            }

            if (limits.MaxConcurrency is { } max && counters.InFlight + 1 > max)
            {
                return Refuse(request, now, GatewayErrorCode.RateLimited,
                    $"Concurrency limit reached for {Describe(name)}: {max} requests at a time.", ConcurrencyRetry);
            }
        }

        var quotas = request.Quotas;
        if (quotas.TokensPerDay is { } perDay && _live.TokensToday + _live.PendingTokens + request.ReservedTokens > perDay)
        {
            return Refuse(request, now, GatewayErrorCode.InsufficientQuota,
                $"You exceeded your daily quota of {perDay} tokens ({_live.TokensToday} used today). It resets at 00:00 UTC.", UntilNextDay(now));
        }

        if (quotas.TokensPerMonth is { } perMonth && _live.TokensThisMonth + _live.PendingTokens + request.ReservedTokens > perMonth)
        {
            return Refuse(request, now, GatewayErrorCode.InsufficientQuota,
                $"You exceeded your monthly quota of {perMonth} tokens ({_live.TokensThisMonth} used this month).", UntilNextMonth(now));
        }

        if (quotas.BudgetUsdPerMonth is { } budget && _live.SpendThisMonth + _live.PendingCost + request.ReservedCostUsd > budget)
        {
            return Refuse(request, now, GatewayErrorCode.InsufficientQuota,
                string.Create(CultureInfo.InvariantCulture, $"You exceeded your monthly budget of ${budget} (${_live.SpendThisMonth:0.######} spent this month)."), UntilNextMonth(now));
        }

        Count(request, scopes, second, now + LeaseLifetime);
        return new Admission(true, Status(request, now), null, null, null);
    }

    /// <summary>Counts an admitted request: in its second's windows, in flight, and its reservation as pending, under a lease until <paramref name="expires"/>.</summary>
    private void Count(AdmissionRequest request, List<(string Name, ScopeLimits Limits)> scopes, long second, DateTimeOffset expires)
    {
        var names = new string[scopes.Count];
        for (var i = 0; i < scopes.Count; i++)
        {
            names[i] = scopes[i].Name;
            var counters = Counters(names[i]);
            counters.Requests.Add(second, 1);
            counters.Tokens.Add(second, request.ReservedTokens);
            counters.InFlight++;
        }

        _live.Leases[request.RequestId] = new LimiterLease
        {
            Scopes = names,
            Second = second,
            ReservedTokens = request.ReservedTokens,
            ReservedCost = request.ReservedCostUsd,
            ExpiresAtMs = expires.ToUnixTimeMilliseconds(),
        };
        _live.PendingTokens += request.ReservedTokens;
        _live.PendingCost += request.ReservedCostUsd;
        _dirty = true;
    }

    public Task SettleAsync(string requestId, TokenUsage usage, decimal costUsd)
    {
        Settle(requestId, usage, costUsd);
        return Task.CompletedTask;
    }

    public Task ReleaseAsync(string requestId)
    {
        Release(requestId);
        return Task.CompletedTask;
    }

    private void Settle(string requestId, TokenUsage usage, decimal costUsd)
    {
        var now = time.GetUtcNow();
        RollPeriods(now);
        NoteEnded(requestId, now);
        if (_live.Leases.Remove(requestId, out var lease))
        {
            var delta = usage.TotalTokens - lease.ReservedTokens;
            EndLease(lease, now, tokenDelta: delta, requestDelta: 0);
        }
        else if (!_live.Lapsed.Remove(requestId) && !(_countUnknownUntil is { } until && now < until))
        {
            // Settled before: retries never count twice. (Just after a recovery an unknown request may
            // be one admitted after the last write: its usage is counted toward quotas.)
            return;
        }

        _live.TokensToday += usage.TotalTokens;
        _live.TokensThisMonth += usage.TotalTokens;
        _live.SpendThisMonth += costUsd;
        _dirty = true;
    }

    private void Release(string requestId)
    {
        var now = time.GetUtcNow();
        NoteEnded(requestId, now);
        if (_live.Leases.Remove(requestId, out var lease))
        {
            // Nothing reached a backend: give back the request and its tokens.
            EndLease(lease, now, tokenDelta: -lease.ReservedTokens, requestDelta: -1);
            _dirty = true;
        }
    }

    public Task RenewAsync(string[] requestIds)
    {
        var expires = (time.GetUtcNow() + LeaseLifetime).ToUnixTimeMilliseconds();
        foreach (var id in requestIds)
        {
            if (_live.Leases.TryGetValue(id, out var lease))
            {
                lease.ExpiresAtMs = expires;
                _dirty = true;
            }
        }

        return Task.CompletedTask;
    }

    public Task ReclaimAsync(LeaseClaim[] claims)
    {
        var now = time.GetUtcNow();
        RollPeriods(now);
        var expires = (now + LeaseLifetime).ToUnixTimeMilliseconds();
        foreach (var claim in claims)
        {
            var id = claim.Admission.RequestId;
            if (_live.Leases.TryGetValue(id, out var lease))
            {
                lease.ExpiresAtMs = expires;
            }
            else if ((_recoveringUntil is not null || _countUnknownUntil is { } until && now < until)
                && !_live.Lapsed.ContainsKey(id) && !_endedSinceRecovery.Contains(id))
            {
                // Admitted after the last write: count it again, with a short lease the claims renew.
                Count(claim.Admission, ScopesOf(claim.Admission), claim.AdmittedSecond, now + RestoredLeaseLifetime);
            }
        }

        _dirty = true;
        return Task.CompletedTask;
    }

    private void NoteEnded(string requestId, DateTimeOffset now)
    {
        if (_countUnknownUntil is { } until && now < until)
        {
            _endedSinceRecovery.Add(requestId);
        }
        else if (_endedSinceRecovery.Count > 0)
        {
            _endedSinceRecovery.Clear();
        }
    }

    public Task<LimiterState> GetStateAsync()
    {
        var now = time.GetUtcNow();
        RollPeriods(now);
        var second = now.ToUnixTimeSeconds();
        var scopes = _live.Scopes
            .OrderBy(s => s.Key, StringComparer.Ordinal)
            .Select(s => new ScopeUse(s.Key, s.Value.Requests.Sum(second), s.Value.Tokens.Sum(second), s.Value.InFlight))
            .ToArray();
        return Task.FromResult(new LimiterState(_live.Leases.Count, _live.TokensToday, _live.TokensThisMonth, _live.SpendThisMonth, scopes));
    }

    private void EndLease(LimiterLease lease, DateTimeOffset now, long tokenDelta, long requestDelta)
    {
        var second = now.ToUnixTimeSeconds();
        foreach (var name in lease.Scopes)
        {
            var counters = Counters(name);
            counters.InFlight = Math.Max(0, counters.InFlight - 1);
            counters.Tokens.Adjust(lease.Second, tokenDelta, second);
            if (requestDelta != 0)
            {
                counters.Requests.Adjust(lease.Second, requestDelta, second);
            }
        }

        _live.PendingTokens = Math.Max(0, _live.PendingTokens - lease.ReservedTokens);
        _live.PendingCost = Math.Max(0, _live.PendingCost - lease.ReservedCost);
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var nowMs = now.ToUnixTimeMilliseconds();
        List<string>? lapsed = null;
        foreach (var (id, lease) in _live.Leases)
        {
            if (lease.ExpiresAtMs < nowMs)
            {
                (lapsed ??= []).Add(id);
            }
        }

        if (lapsed is not null)
        {
            foreach (var id in lapsed)
            {
                // The request's front-end or silo went away: free its slot, keep its tokens counted.
                _live.Leases.Remove(id, out var lease);
                EndLease(lease!, now, tokenDelta: 0, requestDelta: 0);
                _live.Lapsed[id] = nowMs;
            }

            _dirty = true;
        }

        if (_live.Lapsed.Count > 0)
        {
            foreach (var (id, at) in _live.Lapsed.ToArray())
            {
                if (nowMs - at > LapsedMemory.TotalMilliseconds)
                {
                    _live.Lapsed.Remove(id);
                }
            }
        }

        if (_dirty && _writing is null)
        {
            _writing = PersistAsync();
            try
            {
                await _writing;
            }
            finally
            {
                _writing = null;
            }
        }
    }

    private async Task PersistAsync()
    {
        _dirty = false;
        state.State = copier.Copy(_live);
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            _dirty = true;
            throw;
        }
    }

    private void RollPeriods(DateTimeOffset now)
    {
        var day = (now.Year * 10000) + (now.Month * 100) + now.Day;
        var month = (now.Year * 100) + now.Month;
        if (_live.Day != day)
        {
            _live.Day = day;
            _live.TokensToday = 0;
            _dirty = true;
        }

        if (_live.Month != month)
        {
            _live.Month = month;
            _live.TokensThisMonth = 0;
            _live.SpendThisMonth = 0;
            _dirty = true;
        }
    }

    private Admission Refuse(AdmissionRequest request, DateTimeOffset now, GatewayErrorCode code, string message, TimeSpan? retryAfter) =>
        new(false, Status(request, now), code, message, retryAfter);

    /// <summary>The x-ratelimit-* figures of the tightest scope: the one with the least left, relative to its limit.</summary>
    private RateLimitStatus Status(AdmissionRequest request, DateTimeOffset now)
    {
        var second = now.ToUnixTimeSeconds();
        (long Limit, long Remaining, TimeSpan Reset)? requests = null, tokens = null;
        foreach (var (name, limits) in ScopesOf(request))
        {
            var counters = Counters(name);
            if (limits.Rpm is { } rpm)
            {
                var remaining = Math.Max(0, rpm - counters.Requests.Sum(second));
                if (requests is null || (double)remaining / rpm < (double)requests.Value.Remaining / requests.Value.Limit)
                {
                    requests = (rpm, remaining, counters.Requests.TimeUntilEmpty(now));
                }
            }

            if (limits.Tpm is { } tpm)
            {
                var remaining = Math.Max(0, tpm - counters.Tokens.Sum(second));
                if (tokens is null || (double)remaining / tpm < (double)tokens.Value.Remaining / tokens.Value.Limit)
                {
                    tokens = (tpm, remaining, counters.Tokens.TimeUntilEmpty(now));
                }
            }
        }

        return new RateLimitStatus(requests?.Limit, requests?.Remaining, requests?.Reset, tokens?.Limit, tokens?.Remaining, tokens?.Reset);
    }

    private static List<(string Name, ScopeLimits Limits)> ScopesOf(AdmissionRequest request)
    {
        var scopes = new List<(string, ScopeLimits)>(3);
        if (!request.TenantLimits.IsEmpty)
        {
            scopes.Add(("tenant", request.TenantLimits));
        }

        if (request.KeyId is { } keyId && !request.KeyLimits.IsEmpty)
        {
            scopes.Add(("key:" + keyId, request.KeyLimits));
        }

        if (!request.ModelLimits.IsEmpty)
        {
            scopes.Add(("model:" + request.Model, request.ModelLimits));
        }

        return scopes;
    }

    private ScopeCounters Counters(string name)
    {
        if (!_live.Scopes.TryGetValue(name, out var counters))
        {
            counters = new ScopeCounters();
            _live.Scopes[name] = counters;
        }

        return counters;
    }

    private string Describe(string scope)
    {
        var key = this.GetPrimaryKeyString();
        var owner = key.StartsWith("deployment/", StringComparison.Ordinal) ? $"deployment '{key[11..]}'" : $"tenant '{key[(key.IndexOf('/') + 1)..]}'";
        return scope switch
        {
            "tenant" => owner,
            _ when scope.StartsWith("key:", StringComparison.Ordinal) => $"API key '{scope[4..]}'",
            _ => $"model '{scope[6..]}' of {owner}",
        };
    }

    private static TimeSpan UntilNextDay(DateTimeOffset now) => now.UtcDateTime.Date.AddDays(1) - now.UtcDateTime;

    private static TimeSpan UntilNextMonth(DateTimeOffset now)
    {
        var start = new DateTime(now.Year, now.Month, 1, 0, 0, 0, DateTimeKind.Utc).AddMonths(1);
        return start - now.UtcDateTime;
    }
}
