using Cluster.Grains.Access;
using Cluster.Grains.Completions;
using Cluster.Grains.Errors;
using Cluster.Grains.Limits;
using Cluster.Grains.Models;
using Cluster.Relay.Completions;
using Cluster.Tests.Support;
using Cluster.Tests.Support.InMemory;

namespace Cluster.Tests.Relay.Completions;

/// <summary>What one request owes and holds (<see cref="RequestAccount"/>), against in-memory limiters and ledger. No cluster.</summary>
[Trait("Category", "Unit")]
public sealed class RequestAccountTests : IAsyncLifetime
{
    private static readonly ModelDefinition Model = UnitRelay.Model("m", UnitRelay.Deployment("d1", maxConcurrency: 2));
    private readonly UnitRelay _relay = new();

    public Task InitializeAsync()
    {
        _relay.Access.Publish(new TenantDefinition("default", ["*"], new ScopeLimits(Rpm: null, Tpm: 10_000, MaxConcurrency: null), TenantQuotas.None, [], ModelSource.Configuration, 0));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _relay.DisposeAsync();

    [Fact]
    public async Task AdmitAsync_TokenLimit_ReservesThePromptAndTheRequestedCompletion()
    {
        var request = CompletionRequests.Chat("m", "count these words please") with { MaxTokens = 50 };
        var account = new RequestAccount(request, _relay.Services, _relay.Time.GetTimestamp());

        await account.AdmitAsync(Model);

        var admitted = Assert.Single(_relay.Limiter(ILimiterGrain.TenantKey("default")).Admitted);
        Assert.True(account.PromptTokens > 0);
        Assert.Equal(account.PromptTokens + 50, admitted.ReservedTokens);
        Assert.Equal(Model.Price.CostOf(account.PromptTokens, 50), admitted.ReservedCostUsd);
    }

    [Fact]
    public async Task SettleAsync_CalledTwice_RecordedAndSettledOnce()
    {
        var account = new RequestAccount(CompletionRequests.Chat("m", "hi"), _relay.Services, _relay.Time.GetTimestamp());
        await account.AdmitAsync(Model);
        Assert.Null(await account.TryTakeDeploymentAsync(Model, Model.Deployments[0]));
        var usage = new TokenUsage(3, 4, 7, null, null, Estimated: false);
        _relay.Time.Advance(TimeSpan.FromMilliseconds(1234));

        await account.SettleAsync(Model, "d1", usage, "ok");
        await account.SettleAsync(Model, "d1", usage, "ok");
        await account.ReleaseAsync();

        var record = Assert.Single(_relay.LedgerRecords);
        Assert.Equal((7, 1234, "chat.completions"), (record.TotalTokens, record.LatencyMs, record.Endpoint));
        Assert.Single(_relay.Limiter(ILimiterGrain.TenantKey("default")).Settled);
        Assert.Single(_relay.Limiter(ILimiterGrain.DeploymentKey("d1")).Settled);
        Assert.Empty(_relay.Limiter(ILimiterGrain.TenantKey("default")).Released);
    }

    [Fact]
    public async Task LeaveDeploymentAsync_AfterAFailedAttempt_OnlyTheDeploymentLeaseGivenBack()
    {
        var account = new RequestAccount(CompletionRequests.Chat("m", "hi"), _relay.Services, _relay.Time.GetTimestamp());
        await account.AdmitAsync(Model);
        await account.TryTakeDeploymentAsync(Model, Model.Deployments[0]);

        await account.LeaveDeploymentAsync();
        await account.ReleaseAsync();

        var deployment = _relay.Limiter(ILimiterGrain.DeploymentKey("d1"));
        var tenant = _relay.Limiter(ILimiterGrain.TenantKey("default"));
        Assert.Single(deployment.Released);
        Assert.Single(tenant.Released);
        Assert.Equal(0, deployment.OpenLeases + tenant.OpenLeases);
        Assert.Empty(_relay.LedgerRecords);
    }

    [Fact]
    public async Task WithLimits_FailureWithoutFigures_CarriesTheAdmissionsFigures()
    {
        var account = new RequestAccount(CompletionRequests.Chat("m", "hi"), _relay.Services, _relay.Time.GetTimestamp());
        await account.AdmitAsync(Model);

        var failure = account.WithLimits(new GatewayException(GatewayErrorCode.UpstreamFailed, "HTTP 500") { RetryAfter = TimeSpan.FromSeconds(2) });

        Assert.Equal(account.Limits, failure.Limits);
        Assert.Equal(TimeSpan.FromSeconds(2), failure.RetryAfter);
    }
}
