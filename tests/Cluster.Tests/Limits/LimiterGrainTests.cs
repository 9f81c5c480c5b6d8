using System.Collections.Concurrent;
using Cluster.Grains.Access;
using Cluster.Grains.Completions;
using Cluster.Grains.Errors;
using Cluster.Grains.Limits;
using Cluster.Tests.Support;

namespace Cluster.Tests.Limits;

/// <summary>
/// The limiter grain on a two-silo cluster with a fake clock: windows refill exactly when the
/// seconds that filled them leave, Retry-After says exactly when, settlement refunds and charges,
/// concurrency slots come back on every path, quotas reset at the day's end, and parallel
/// admissions from both silos never exceed a limit.
/// </summary>
[Collection(FakeTimeClusterFixture.Name)]
public sealed class LimiterGrainTests(FakeTimeClusterFixture fixture)
{
    private static readonly TimeSpan WaitForTimer = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task AdmitAsync_RpmReached_RefusesUntilTheOldestSecondLeavesTheWindow()
    {
        var limiter = NewLimiter();
        var limits = new ScopeLimits(Rpm: 5, Tpm: null, MaxConcurrency: null);
        fixture.AlignToSecond(TimeSpan.FromMilliseconds(250));

        for (var i = 0; i < 3; i++)
        {
            Assert.True((await limiter.AdmitAsync(Request(limits))).Admitted);
        }

        fixture.Time.Advance(TimeSpan.FromSeconds(10));
        for (var i = 0; i < 2; i++)
        {
            Assert.True((await limiter.AdmitAsync(Request(limits))).Admitted);
        }

        // Full: the three of the first second leave 61 s after that second began, 50.75 s from now.
        var refused = await limiter.AdmitAsync(Request(limits));
        Assert.False(refused.Admitted);
        Assert.Equal(GatewayErrorCode.RateLimited, refused.Code);
        Assert.Equal(TimeSpan.FromMilliseconds(50_750), refused.RetryAfter);
        Assert.Contains("5 requests per minute", refused.Message);
        Assert.Equal(5, refused.Status.LimitRequests);
        Assert.Equal(0, refused.Status.RemainingRequests);
        Assert.Equal(TimeSpan.FromMilliseconds(60_750), refused.Status.ResetRequests);

        fixture.Time.Advance(TimeSpan.FromMilliseconds(50_749));
        var stillFull = await limiter.AdmitAsync(Request(limits));
        Assert.False(stillFull.Admitted);
        Assert.Equal(TimeSpan.FromMilliseconds(1), stillFull.RetryAfter);

        fixture.Time.Advance(TimeSpan.FromMilliseconds(1));
        for (var i = 0; i < 3; i++)
        {
            var admitted = await limiter.AdmitAsync(Request(limits));
            Assert.True(admitted.Admitted, $"request {i} after the refill");
            Assert.Equal(2 - i, admitted.Status.RemainingRequests);
        }

        // Full again until the two of the second burst leave, 10 s later.
        var again = await limiter.AdmitAsync(Request(limits));
        Assert.False(again.Admitted);
        Assert.Equal(TimeSpan.FromSeconds(10), again.RetryAfter);
    }

    [Fact]
    public async Task AdmitAsync_TpmReached_RetryAfterIsWhenEnoughTokensHaveLeft()
    {
        var limiter = NewLimiter();
        var limits = new ScopeLimits(Rpm: null, Tpm: 1000, MaxConcurrency: null);
        fixture.AlignToSecond(TimeSpan.FromMilliseconds(250));
        Assert.True((await limiter.AdmitAsync(Request(limits, tokens: 300))).Admitted);
        fixture.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.True((await limiter.AdmitAsync(Request(limits, tokens: 300))).Admitted);
        fixture.Time.Advance(TimeSpan.FromSeconds(5));
        var third = await limiter.AdmitAsync(Request(limits, tokens: 300));
        Assert.True(third.Admitted);
        Assert.Equal(1000, third.Status.LimitTokens);
        Assert.Equal(100, third.Status.RemainingTokens);

        // 250 more fit once the first 300 leave; 500 more need the second 300 gone too.
        var small = await limiter.AdmitAsync(Request(limits, tokens: 250));
        Assert.False(small.Admitted);
        Assert.Equal(TimeSpan.FromMilliseconds(50_750), small.RetryAfter);
        Assert.Contains("1000 tokens per minute", small.Message);
        var large = await limiter.AdmitAsync(Request(limits, tokens: 500));
        Assert.False(large.Admitted);
        Assert.Equal(TimeSpan.FromMilliseconds(55_750), large.RetryAfter);

        fixture.Time.Advance(TimeSpan.FromMilliseconds(50_750));
        Assert.True((await limiter.AdmitAsync(Request(limits, tokens: 250))).Admitted);
    }

    [Fact]
    public async Task SettleAsync_RealUsageDiffers_RefundsOrChargesTheDifference()
    {
        var limiter = NewLimiter();
        var limits = new ScopeLimits(Rpm: null, Tpm: 1000, MaxConcurrency: null);
        var first = Request(limits, tokens: 600);
        var second = Request(limits, tokens: 300);
        Assert.True((await limiter.AdmitAsync(first)).Admitted);
        Assert.True((await limiter.AdmitAsync(second)).Admitted);
        Assert.False((await limiter.AdmitAsync(Request(limits, tokens: 200))).Admitted);

        // Used 100 of the 600 reserved: 500 come back.
        await limiter.SettleAsync(first.RequestId, Usage(100), 0);
        var afterRefund = await limiter.AdmitAsync(Request(limits, tokens: 200));
        Assert.True(afterRefund.Admitted);
        Assert.Equal(1000 - 100 - 300 - 200, afterRefund.Status.RemainingTokens);

        // Used 700 of the 300 reserved: 400 more are charged, the window is full.
        await limiter.SettleAsync(second.RequestId, Usage(700), 0);
        var afterCharge = await limiter.AdmitAsync(Request(limits, tokens: 1));
        Assert.False(afterCharge.Admitted);
        Assert.Equal(0, afterCharge.Status.RemainingTokens);

        // Settling again changes nothing: retries never count twice.
        await limiter.SettleAsync(first.RequestId, Usage(100), 0);
        await limiter.SettleAsync(second.RequestId, Usage(700), 0);
        Assert.Equal(100 + 700, (await limiter.GetStateAsync()).TokensToday);
    }

    [Fact]
    public async Task AdmitAsync_RequestLargerThanTpm_RefusedAtOnceSayingItCanNeverFit()
    {
        var limiter = NewLimiter();
        var limits = new ScopeLimits(Rpm: null, Tpm: 1000, MaxConcurrency: null);

        var refused = await limiter.AdmitAsync(Request(limits, tokens: 1001));

        Assert.False(refused.Admitted);
        Assert.Equal(GatewayErrorCode.RateLimited, refused.Code);
        Assert.Contains("1001 tokens", refused.Message);
        Assert.Contains("more than the limit of 1000 tokens per minute", refused.Message);
        Assert.Contains("can ever allow", refused.Message);
        Assert.Null(refused.RetryAfter);

        // The window was empty and stays empty: exactly the limit still fits.
        Assert.True((await limiter.AdmitAsync(Request(limits, tokens: 1000))).Admitted);
    }

    [Fact]
    public async Task SettleAndRelease_ConcurrencyFull_GiveTheSlotBack()
    {
        var limiter = NewLimiter();
        var limits = new ScopeLimits(Rpm: null, Tpm: null, MaxConcurrency: 2);
        var a = Request(limits);
        var b = Request(limits);
        Assert.True((await limiter.AdmitAsync(a)).Admitted);
        Assert.True((await limiter.AdmitAsync(b)).Admitted);

        var full = await limiter.AdmitAsync(Request(limits));
        Assert.False(full.Admitted);
        Assert.Equal(GatewayErrorCode.RateLimited, full.Code);
        Assert.Contains("2 requests at a time", full.Message);
        Assert.Equal(TimeSpan.FromSeconds(1), full.RetryAfter);

        await limiter.SettleAsync(a.RequestId, Usage(10), 0);
        Assert.True((await limiter.AdmitAsync(Request(limits))).Admitted);

        await limiter.ReleaseAsync(b.RequestId);
        Assert.True((await limiter.AdmitAsync(Request(limits))).Admitted);

        // Ending the same lease again frees nothing more.
        await limiter.ReleaseAsync(b.RequestId);
        await limiter.SettleAsync(a.RequestId, Usage(10), 0);
        Assert.False((await limiter.AdmitAsync(Request(limits))).Admitted);
        Assert.Equal(2, (await limiter.GetStateAsync()).Leases);
    }

    [Fact]
    public async Task ReleaseAsync_NothingReachedABackend_GivesTheRequestBackButSettleDoesNot()
    {
        var limiter = NewLimiter();
        var limits = new ScopeLimits(Rpm: 1, Tpm: 100, MaxConcurrency: null);
        var released = Request(limits, tokens: 100);
        Assert.True((await limiter.AdmitAsync(released)).Admitted);
        await limiter.ReleaseAsync(released.RequestId);

        var settled = Request(limits, tokens: 100);
        var admitted = await limiter.AdmitAsync(settled);
        Assert.True(admitted.Admitted);
        Assert.Equal(0, admitted.Status.RemainingRequests);
        await limiter.SettleAsync(settled.RequestId, Usage(1), 0);

        var refused = await limiter.AdmitAsync(Request(limits, tokens: 1));
        Assert.False(refused.Admitted);
        Assert.Contains("1 requests per minute", refused.Message);
        Assert.Equal(0, (await limiter.GetStateAsync()).Leases);
    }

    [Fact]
    public async Task Timer_LeaseNotRenewedForItsLifetime_LapsesAndFreesTheSlot()
    {
        var limiter = NewLimiter();
        var limits = new ScopeLimits(Rpm: null, Tpm: null, MaxConcurrency: 1);
        var quotas = new TenantQuotas(TokensPerDay: 1_000_000, null, null);
        var lost = Request(limits, quotas: quotas);
        Assert.True((await limiter.AdmitAsync(lost)).Admitted);
        Assert.False((await limiter.AdmitAsync(Request(limits, quotas: quotas))).Admitted);

        fixture.Time.Advance(LimiterGrain.LeaseLifetime + TimeSpan.FromSeconds(1));
        await WaitForLeasesAsync(limiter, 0);

        Assert.True((await limiter.AdmitAsync(Request(limits, quotas: quotas))).Admitted);

        // The lost request turns up after all: its tokens still count toward the quota, once.
        await limiter.SettleAsync(lost.RequestId, Usage(42), 0);
        await limiter.SettleAsync(lost.RequestId, Usage(42), 0);
        Assert.Equal(42, (await limiter.GetStateAsync()).TokensToday);
    }

    [Fact]
    public async Task RenewAsync_LeaseRenewed_OutlivesTheOneThatWasNot()
    {
        var limiter = NewLimiter();
        var limits = new ScopeLimits(Rpm: null, Tpm: null, MaxConcurrency: 2);
        var renewed = Request(limits);
        var forgotten = Request(limits);
        Assert.True((await limiter.AdmitAsync(renewed)).Admitted);
        Assert.True((await limiter.AdmitAsync(forgotten)).Admitted);

        fixture.Time.Advance(TimeSpan.FromSeconds(90));
        await limiter.RenewAsync([renewed.RequestId]);
        fixture.Time.Advance(TimeSpan.FromSeconds(31));
        await WaitForLeasesAsync(limiter, 1);
        Assert.True((await limiter.AdmitAsync(Request(limits))).Admitted);

        // Now held: the renewed lease (until 210 s) and the third (until 241 s). At 211 s only the
        // renewed one has lapsed, 120 s after its renewal.
        Assert.False((await limiter.AdmitAsync(Request(limits))).Admitted);
        fixture.Time.Advance(TimeSpan.FromSeconds(90));
        await WaitForLeasesAsync(limiter, 1);
        Assert.True((await limiter.AdmitAsync(Request(limits))).Admitted);
    }

    [Fact]
    public async Task AdmitAsync_DailyQuotaUsedUp_InsufficientQuotaUntilTheNextDay()
    {
        var limiter = NewLimiter();
        var quotas = new TenantQuotas(TokensPerDay: 1000, TokensPerMonth: null, BudgetUsdPerMonth: null);
        var first = Request(ScopeLimits.None, tokens: 600, quotas: quotas);
        Assert.True((await limiter.AdmitAsync(first)).Admitted);

        // Reserved tokens count as used until settled.
        var early = await limiter.AdmitAsync(Request(ScopeLimits.None, tokens: 500, quotas: quotas));
        Assert.False(early.Admitted);
        Assert.Equal(GatewayErrorCode.InsufficientQuota, early.Code);

        await limiter.SettleAsync(first.RequestId, Usage(600), 0);
        var last = Request(ScopeLimits.None, tokens: 400, quotas: quotas);
        Assert.True((await limiter.AdmitAsync(last)).Admitted);
        await limiter.SettleAsync(last.RequestId, Usage(400), 0);

        var now = fixture.Time.GetUtcNow();
        var midnight = new DateTimeOffset(now.UtcDateTime.Date.AddDays(1), TimeSpan.Zero);
        var refused = await limiter.AdmitAsync(Request(ScopeLimits.None, tokens: 1, quotas: quotas));
        Assert.False(refused.Admitted);
        Assert.Equal(GatewayErrorCode.InsufficientQuota, refused.Code);
        Assert.Contains("daily quota of 1000 tokens", refused.Message);
        Assert.Equal(midnight - now, refused.RetryAfter);
        Assert.Equal(1000, (await limiter.GetStateAsync()).TokensToday);

        fixture.Time.Advance(midnight - now - TimeSpan.FromMilliseconds(1));
        Assert.False((await limiter.AdmitAsync(Request(ScopeLimits.None, tokens: 1, quotas: quotas))).Admitted);

        fixture.Time.Advance(TimeSpan.FromMilliseconds(1));
        var nextDay = Request(ScopeLimits.None, tokens: 1000, quotas: quotas);
        Assert.True((await limiter.AdmitAsync(nextDay)).Admitted);
        Assert.Equal(0, (await limiter.GetStateAsync()).TokensToday);
    }

    [Fact]
    public async Task AdmitAsync_MonthlyBudgetUsedUp_InsufficientQuota()
    {
        var limiter = NewLimiter();
        var quotas = new TenantQuotas(TokensPerDay: null, TokensPerMonth: null, BudgetUsdPerMonth: 1.00m);
        var first = Request(ScopeLimits.None, tokens: 10, quotas: quotas, cost: 0.60m);
        Assert.True((await limiter.AdmitAsync(first)).Admitted);
        await limiter.SettleAsync(first.RequestId, Usage(10), 0.70m);

        var refused = await limiter.AdmitAsync(Request(ScopeLimits.None, tokens: 10, quotas: quotas, cost: 0.31m));

        Assert.False(refused.Admitted);
        Assert.Equal(GatewayErrorCode.InsufficientQuota, refused.Code);
        Assert.Contains("monthly budget of $1", refused.Message);
        Assert.True((await limiter.AdmitAsync(Request(ScopeLimits.None, tokens: 10, quotas: quotas, cost: 0.30m))).Admitted);
        Assert.Equal(0.70m, (await limiter.GetStateAsync()).SpendThisMonthUsd);
    }

    [Fact]
    public async Task AdmitAsync_HundredsInParallelFromBothSilos_AdmitsExactlyTheLimit()
    {
        var key = NewLimiterKey();
        var limits = new ScopeLimits(Rpm: 100, Tpm: null, MaxConcurrency: null);
        var factories = fixture.SiloGrainFactories;

        var admissions = await Task.WhenAll(Enumerable.Range(0, 600).Select(i =>
            Task.Run(() => factories[i % factories.Count].GetGrain<ILimiterGrain>(key).AdmitAsync(Request(limits)))));

        Assert.Equal(100, admissions.Count(a => a.Admitted));
        Assert.All(admissions.Where(a => !a.Admitted), a =>
        {
            Assert.Equal(GatewayErrorCode.RateLimited, a.Code);
            Assert.NotNull(a.RetryAfter);
        });
        Assert.Equal(100, (await fixture.Cluster.Client.GetGrain<ILimiterGrain>(key).GetStateAsync()).Leases);
    }

    [Fact]
    public async Task AdmitAsync_ParallelAdmitsAndSettlements_NeverMoreInFlightThanTheCap()
    {
        var key = NewLimiterKey();
        var limits = new ScopeLimits(Rpm: null, Tpm: null, MaxConcurrency: 5);
        var factories = fixture.SiloGrainFactories;
        var inFlight = 0;
        var peak = 0;
        var admitted = 0;
        var refused = new ConcurrentBag<Admission>();

        await Task.WhenAll(Enumerable.Range(0, 20).Select(worker => Task.Run(async () =>
        {
            var limiter = factories[worker % factories.Count].GetGrain<ILimiterGrain>(key);
            for (var i = 0; i < 20; i++)
            {
                var request = Request(limits);
                var admission = await limiter.AdmitAsync(request);
                if (!admission.Admitted)
                {
                    refused.Add(admission);
                    continue;
                }

                // Counted from the admission's answer to the settlement's call: inside the grain's view.
                var now = Interlocked.Increment(ref inFlight);
                InterlockedMax(ref peak, now);
                Interlocked.Increment(ref admitted);
                await Task.Yield();
                Interlocked.Decrement(ref inFlight);
                if (i % 2 == 0)
                {
                    await limiter.SettleAsync(request.RequestId, Usage(1), 0);
                }
                else
                {
                    await limiter.ReleaseAsync(request.RequestId);
                }
            }
        })));

        Assert.InRange(peak, 1, 5);
        Assert.Equal(400, admitted + refused.Count);
        Assert.All(refused, a => Assert.Contains("5 requests at a time", a.Message));
        Assert.Equal(0, (await fixture.Cluster.Client.GetGrain<ILimiterGrain>(key).GetStateAsync()).Leases);
    }

    private ILimiterGrain NewLimiter() => fixture.Cluster.Client.GetGrain<ILimiterGrain>(NewLimiterKey());

    private static string NewLimiterKey() => ILimiterGrain.TenantKey("limiter-test-" + Guid.NewGuid().ToString("N")[..12]);

    private static AdmissionRequest Request(ScopeLimits tenantLimits, long tokens = 0, TenantQuotas? quotas = null, decimal cost = 0) => new(
        RequestId: "req-" + Guid.NewGuid().ToString("N"),
        KeyId: null,
        KeyLimits: ScopeLimits.None,
        Model: "model",
        ModelLimits: ScopeLimits.None,
        TenantLimits: tenantLimits,
        Quotas: quotas ?? TenantQuotas.None,
        ReservedTokens: tokens,
        ReservedCostUsd: cost);

    private static TokenUsage Usage(int total) => new(total, 0, total, null, null, Estimated: false);

    /// <summary>
    /// Lapses run on the grain's timer, which the fake clock drives. The timer re-arms itself one
    /// second after each tick ends, by the clock of that moment; a tick that ended after the test
    /// moved the clock waits for the clock to move again. So the wait nudges the clock a second at
    /// a time until the tick has run (a few seconds at most, far from any lease's expiry here).
    /// </summary>
    private async Task WaitForLeasesAsync(ILimiterGrain limiter, int expected)
    {
        var nudge = false;
        await Eventually.ValueAsync(
            async () =>
            {
                if (nudge)
                {
                    fixture.Time.Advance(TimeSpan.FromSeconds(1));
                }

                nudge = true;
                return (await limiter.GetStateAsync()).Leases;
            },
            leases => leases == expected,
            $"{expected} leases",
            WaitForTimer,
            TimeSpan.FromMilliseconds(100));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
