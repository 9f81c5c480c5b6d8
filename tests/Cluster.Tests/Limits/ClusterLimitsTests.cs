using System.Collections.Concurrent;
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.Net;
using Cluster.Grains.Limits;
using Cluster.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Runtime.Placement;
using OpenAI;
using OpenAI.Chat;
using Xunit.Abstractions;

namespace Cluster.Tests.Limits;

/// <summary>
/// Limits as a client sees them through two front-ends and two silos: exactly the limit reaches
/// the backend however the load is spread, the rest get 429 with Retry-After, concurrency caps
/// hold at the backend, full deployments spill to the next one, and no slot is left held, even
/// when the silo holding the limiter dies mid-load.
/// </summary>
public sealed class ClusterLimitsTests(ClusterLimitsFixture fixture, ITestOutputHelper output) : IClassFixture<ClusterLimitsFixture>
{
    /// <summary>How long a request may go unanswered in the silo-failure test before it counts as lost.</summary>
    private static readonly TimeSpan LostAfter = TimeSpan.FromSeconds(8);

    [Fact]
    public async Task ChatCompletions_KeyRpm100With500ConcurrentOverTwoFrontEnds_Exactly100ReachTheUpstream()
    {
        var scenario = ClusterLimitsFixture.Rpm;

        var responses = await BurstAsync(scenario, 500);

        Assert.Equal(100, fixture.RpmUpstream.RequestCount);
        Assert.Equal(100, responses.Count(r => r.Status == HttpStatusCode.OK));
        var refused = responses.Where(r => r.Status != HttpStatusCode.OK).ToList();
        Assert.Equal(400, refused.Count);
        Assert.All(refused, AssertRateLimited);
        Assert.All(refused, r => Assert.Contains("100 requests per minute", r.ErrorMessage));
        Assert.All(refused, r => Assert.Contains("API key", r.ErrorMessage));

        // Every refusal says how full the key's window is.
        Assert.All(refused, r =>
        {
            Assert.Equal("100", r.Header("x-ratelimit-limit-requests"));
            Assert.Equal("0", r.Header("x-ratelimit-remaining-requests"));
        });
        Assert.Equal(0, await fixture.Admin.LeasesAsync(scenario.Id));
    }

    [Fact]
    public async Task ChatCompletions_TpmFor100RequestsWith500Concurrent_Exactly100ReachTheUpstream()
    {
        // Measure what the gateway reserves for this prompt (its tokenizer's count plus max_tokens)
        // on a tenant with room to spare, then size max_tokens so a request reserves exactly what
        // the upstream will report (7 prompt + 6 completion tokens): settlement then moves nothing.
        var probe = ClusterLimitsFixture.TpmProbe;
        var measured = await fixture.Client.ChatAsync(fixture.FrontEnds[0].BaseUrl, probe.Key, probe.Model, maxTokens: 1);
        Assert.Equal(HttpStatusCode.OK, measured.Status);
        var reserved = long.Parse(measured.Header("x-ratelimit-limit-tokens")!, CultureInfo.InvariantCulture)
            - long.Parse(measured.Header("x-ratelimit-remaining-tokens")!, CultureInfo.InvariantCulture);
        var promptTokens = (int)reserved - 1;
        var perRequest = FakeUpstream.PromptTokens + (3 * FakeUpstream.CompletionTokensPerChunk);
        Assert.InRange(promptTokens, 1, perRequest - 1);
        fixture.TpmUpstream.Reset();

        var scenario = ClusterLimitsFixture.Tpm;
        var responses = await BurstAsync(scenario, 500, maxTokens: perRequest - promptTokens);

        var admitted = ClusterLimitsFixture.TpmLimit / perRequest;
        Assert.Equal(100, admitted);
        Assert.Equal(admitted, fixture.TpmUpstream.RequestCount);
        Assert.Equal(admitted, responses.Count(r => r.Status == HttpStatusCode.OK));
        var refused = responses.Where(r => r.Status != HttpStatusCode.OK).ToList();
        Assert.Equal(500 - admitted, refused.Count);
        Assert.All(refused, AssertRateLimited);
        Assert.All(refused, r => Assert.Contains($"{ClusterLimitsFixture.TpmLimit} tokens per minute", r.ErrorMessage));
        Assert.All(refused, r => Assert.Equal(ClusterLimitsFixture.TpmLimit.ToString(CultureInfo.InvariantCulture), r.Header("x-ratelimit-limit-tokens")));
        Assert.Equal(0, await fixture.Admin.LeasesAsync(scenario.Id));
    }

    [Fact]
    public async Task ChatCompletions_MaxConcurrency5WithSlowUpstream_PeakInFlightNeverAbove5()
    {
        var scenario = ClusterLimitsFixture.Concurrency;
        var upstream = fixture.ConcurrencyUpstream;
        upstream.Delay = TimeSpan.FromMilliseconds(300);

        // Ten callers, each sending again as soon as it has an answer, 20 requests each.
        var responses = (await Task.WhenAll(Enumerable.Range(0, 10).Select(async caller =>
        {
            var mine = new List<GatewayResponse>();
            for (var i = 0; i < 20; i++)
            {
                mine.Add(await fixture.Client.ChatAsync(fixture.FrontEnds[(caller + i) % 2].BaseUrl, scenario.Key, scenario.Model));
            }

            return mine;
        }))).SelectMany(r => r).ToList();

        Assert.InRange(upstream.PeakInFlight, 1, 5);
        Assert.DoesNotContain(responses, r => (int)r.Status >= 500);
        var ok = responses.Count(r => r.Status == HttpStatusCode.OK);
        Assert.Equal(ok, upstream.RequestCount);
        Assert.True(ok >= 5, $"only {ok} requests were served");
        var refused = responses.Where(r => r.Status != HttpStatusCode.OK).ToList();
        Assert.NotEmpty(refused);
        Assert.All(refused, AssertRateLimited);
        Assert.All(refused, r => Assert.Contains("5 requests at a time", r.ErrorMessage));
        Assert.Equal(0, await fixture.Admin.LeasesAsync(scenario.Id));
    }

    [Fact]
    public async Task ChatCompletions_TwoDeploymentsOfCapacity2_SpillsToBothAndRefusesOnlyBeyond4()
    {
        var scenario = ClusterLimitsFixture.Capacity;
        var (a, b) = (fixture.CapacityUpstreamA, fixture.CapacityUpstreamB);
        foreach (var frontEnd in fixture.FrontEnds)
        {
            Assert.Equal(HttpStatusCode.OK, (await fixture.Client.ChatAsync(frontEnd.BaseUrl, scenario.Key, scenario.Model)).Status);
        }

        a.Reset();
        b.Reset();
        a.Delay = b.Delay = TimeSpan.FromSeconds(2);

        // Four at once fit: two on each deployment, whichever one each request tried first.
        var four = await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
            fixture.Client.ChatAsync(fixture.FrontEnds[i % 2].BaseUrl, scenario.Key, scenario.Model)));
        Assert.All(four, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.Equal(2, a.PeakInFlight);
        Assert.Equal(2, b.PeakInFlight);

        a.Reset();
        b.Reset();
        var ten = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            fixture.Client.ChatAsync(fixture.FrontEnds[i % 2].BaseUrl, scenario.Key, scenario.Model)));
        Assert.Equal(4, ten.Count(r => r.Status == HttpStatusCode.OK));
        Assert.Equal(4, a.RequestCount + b.RequestCount);
        Assert.InRange(a.PeakInFlight, 0, 2);
        Assert.InRange(b.PeakInFlight, 0, 2);
        var refused = ten.Where(r => r.Status != HttpStatusCode.OK).ToList();
        Assert.Equal(6, refused.Count);
        Assert.All(refused, AssertRateLimited);

        var client = fixture.FrontEnds[0].Services.GetRequiredService<IGrainFactory>();
        foreach (var deployment in new[] { "cap-deployment-a", "cap-deployment-b" })
        {
            Assert.Equal(0, (await client.GetGrain<ILimiterGrain>(ILimiterGrain.DeploymentKey(deployment)).GetStateAsync()).Leases);
        }
    }

    [Fact]
    public async Task ChatCompletions_MaxTokensBeyondTheTpmLimit_429AtOnceSayingSoWithoutReachingTheUpstream()
    {
        var scenario = ClusterLimitsFixture.Oversized;
        var before = fixture.TpmUpstream.RequestCount;
        var client = new ChatClient(scenario.Model, new ApiKeyCredential(scenario.Key), new OpenAIClientOptions
        {
            Endpoint = new Uri(fixture.FrontEnds[1].BaseUrl + "/v1"),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        });

        var error = await Assert.ThrowsAsync<ClientResultException>(() =>
            client.CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { MaxOutputTokenCount = 5000 }));

        Assert.Equal(429, error.Status);
        Assert.Contains("more than the limit of 1000 tokens per minute", error.Message);
        Assert.Contains("can ever allow", error.Message);
        Assert.Equal(before, fixture.TpmUpstream.RequestCount);

        // A request that fits is served: the refusal reserved nothing.
        var fits = await client.CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { MaxOutputTokenCount = 100 });
        Assert.Equal(ChatFinishReason.Stop, fits.Value.FinishReason);
    }

    [Fact]
    public async Task ChatCompletions_SiloHoldingTheLimiterKilledMidLoad_LimitStaysEnforcedAndNoLeaseStaysHeld()
    {
        await using var upstream = await FakeUpstream.StartAsync("kill-upstream");
        upstream.Delay = TimeSpan.FromMilliseconds(200);
        var tenant = "kill-" + Guid.NewGuid().ToString("N")[..8];
        var key = "sk-" + tenant;
        const string model = "kill-model";
        var config = new
        {
            Auth = new { Mode = "Keys", ClusterLimitsFixture.AdminKey },
            Models = new object[] { new { Name = model, Deployments = new object[] { new { Id = "kill-deployment", Provider = "openai", upstream.BaseUrl } } } },
            Tenants = new object[] { new { Id = tenant, Keys = new[] { key }, Limits = new { MaxConcurrency = 4 } } },
            Usage = new { Enabled = false },
        };

        // Azure Table storage (Azurite): the limiter's written state outlives its silo, as in production.
        await using var cluster = await AzuriteCluster.Configure(config).WithSilos(2).WithServiceId("limit-kill-" + Guid.NewGuid().ToString("N")[..12]).StartAsync();
        GatewayHost[] frontEnds = [await GatewayHost.StartAsync(config, cluster.ClientArgs), await GatewayHost.StartAsync(config, cluster.ClientArgs)];
        await using var first = frontEnds[0];
        await using var second = frontEnds[1];
        var admin = new AdminApi(fixture.Client, frontEnds[0].BaseUrl, ClusterLimitsFixture.AdminKey);

        // The silo that will die: the one the tenant's limiter lives on (its home silo).
        var grains = frontEnds[0].Services.GetRequiredService<IGrainFactory>();
        var (limiter, doomed) = await LocateTenantLimiterAsync(grains, tenant, cluster);
        var doomedAddress = cluster.Silos[doomed]!.Address;

        // Eight callers against a cap of four; the limiter writes its state about once a second.
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 8).Select(i => LoadAsync(fixture.Client, frontEnds[i % 2].BaseUrl, key, model, stop.Token)).ToArray();
        await WaitUntilAsync(() => upstream.RequestCount >= 40, "load to reach the upstream");

        await cluster.StopSiloAsync(doomed, graceful: false);
        var servedBeforeKill = upstream.RequestCount;
        var peakBeforeKill = upstream.PeakInFlight;
        upstream.Reset();

        // Until membership declares the silo dead the limiter cannot be reached (its calls are resent);
        // then it is activated on the survivor from its last written state, and the front-ends'
        // claims restore the leases admitted since.
        await WaitUntilAsync(async () => (await fixture.Client.SendAsync(HttpMethod.Get, $"{frontEnds[1].BaseUrl}/admin/tenants/{tenant}/limits", ClusterLimitsFixture.AdminKey)).Status == HttpStatusCode.OK, "the limiter to answer again", TimeSpan.FromSeconds(60));
        Assert.NotEqual(doomedAddress, await grains.GetGrain<IManagementGrain>(0).GetActivationAddress(limiter));
        await WaitUntilAsync(() => upstream.RequestCount >= 20, "load to flow again after the recovery", TimeSpan.FromSeconds(30));
        stop.Cancel();
        var during = (await Task.WhenAll(load)).SelectMany(r => r).ToList();
        output.WriteLine($"before the kill: {servedBeforeKill} served, peak {peakBeforeKill}; after: {upstream.RequestCount} served, peak {upstream.PeakInFlight}; "
            + $"{during.Count(r => r?.Status == HttpStatusCode.OK)} ok, {during.Count(r => r?.Status == HttpStatusCode.TooManyRequests)} 429, "
            + $"{during.Count(r => r?.Status == HttpStatusCode.ServiceUnavailable)} 503, {during.Count(r => r is null)} unanswered");
        Assert.InRange(peakBeforeKill, 1, 4);
        Assert.InRange(upstream.PeakInFlight, 1, 4);

        // Nothing failed with anything but a 503, and nothing went unanswered.
        Assert.DoesNotContain(during, r => r is not null && (int)r.Status >= 500 && r.Status != HttpStatusCode.ServiceUnavailable);
        Assert.Equal(0, during.Count(r => r is null));

        // No slot stays held: leases settle, and restored ones nobody claims lapse within seconds.
        await WaitUntilAsync(async () => await admin.LeasesAsync(tenant) == 0, "every lease to end", TimeSpan.FromSeconds(30));

        // After recovery the cap holds, whole: of twenty at once, four at a time reach the upstream.
        upstream.Reset();
        upstream.Delay = TimeSpan.FromSeconds(1);
        var after = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => fixture.Client.ChatAsync(frontEnds[i % 2].BaseUrl, key, model)));
        output.WriteLine($"after recovery: {string.Join(", ", after.GroupBy(r => r.Status).Select(g => $"{(int)g.Key}: {g.Count()}"))}; peak {upstream.PeakInFlight}");
        Assert.Equal(4, upstream.PeakInFlight);
        Assert.Equal(after.Count(r => r.Status == HttpStatusCode.OK), upstream.RequestCount);
        Assert.All(after.Where(r => r.Status != HttpStatusCode.OK), AssertRateLimited);
        await WaitUntilAsync(async () => await admin.LeasesAsync(tenant) == 0, "the burst's leases to end", TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task ChatCompletions_LimiterSiloKilledDuringRpmBurst_AdmittedAtMostTheLimitPlusTheLastTwoSecondsBeforeTheKill()
    {
        await using var upstream = await FakeUpstream.StartAsync("rpm-kill-upstream");
        upstream.Delay = TimeSpan.FromMilliseconds(50);
        var tenant = "rpmkill-" + Guid.NewGuid().ToString("N")[..8];
        var key = "sk-" + tenant;
        const string model = "rpm-kill-model";
        const int rpm = 400;
        var config = new
        {
            Auth = new { Mode = "Keys", ClusterLimitsFixture.AdminKey },
            Models = new object[] { new { Name = model, Deployments = new object[] { new { Id = "rpm-kill-deployment", Provider = "openai", upstream.BaseUrl } } } },
            Tenants = new object[] { new { Id = tenant, Keys = new[] { key }, Limits = new { Rpm = rpm } } },
            Usage = new { Enabled = false },
        };
        await using var cluster = await AzuriteCluster.Configure(config).WithSilos(2).WithServiceId("rpm-kill-" + Guid.NewGuid().ToString("N")[..12]).StartAsync();
        GatewayHost[] frontEnds = [await GatewayHost.StartAsync(config, cluster.ClientArgs), await GatewayHost.StartAsync(config, cluster.ClientArgs)];
        await using var first = frontEnds[0];
        await using var second = frontEnds[1];
        var (_, doomed) = await LocateTenantLimiterAsync(frontEnds[0].Services.GetRequiredService<IGrainFactory>(), tenant, cluster);

        // Two callers, so admissions spread over seconds; a sampler keeps what reached the upstream each 100 ms.
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 2).Select(i => LoadAsync(fixture.Client, frontEnds[i % 2].BaseUrl, key, model, stop.Token)).ToArray();
        var samples = new ConcurrentQueue<(DateTime At, long Served)>();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                samples.Enqueue((DateTime.UtcNow, upstream.RequestCount));
                await Task.Delay(100);
            }
        });
        await WaitUntilAsync(() => upstream.RequestCount >= rpm / 2, "half the limit to reach the upstream");
        var killedAt = DateTime.UtcNow;
        var servedAtKill = upstream.RequestCount;
        await cluster.StopSiloAsync(doomed, graceful: false);

        // Keep the burst going until the limiter answers again and well after, inside the same minute.
        await WaitUntilAsync(async () => (await fixture.Client.SendAsync(HttpMethod.Get, $"{frontEnds[1].BaseUrl}/admin/tenants/{tenant}/limits", ClusterLimitsFixture.AdminKey)).Status == HttpStatusCode.OK, "the limiter to answer again", TimeSpan.FromSeconds(40));
        await WaitUntilAsync(() => upstream.RequestCount >= rpm, "the limit to be reached after the recovery", TimeSpan.FromSeconds(30));
        var reachedAt = DateTime.UtcNow;
        await WaitUntilAsync(() => DateTime.UtcNow > reachedAt + TimeSpan.FromSeconds(2), "two more seconds of load at the limit");
        stop.Cancel();
        var results = (await Task.WhenAll(load)).SelectMany(r => r).ToList();
        await sampler;
        Assert.True(DateTime.UtcNow - killedAt < TimeSpan.FromSeconds(55), "the test outlived the rate window it measures");

        // The documented window: admissions since the limiter's last write (it writes about once a
        // second) that had already ended may be forgotten: at most the last two seconds before the kill.
        var lastSecond = servedAtKill - samples.Where(x => x.At <= killedAt - TimeSpan.FromSeconds(2)).Select(x => x.Served).DefaultIfEmpty(0).Max();
        output.WriteLine($"served {upstream.RequestCount} (limit {rpm}); {servedAtKill} before the kill, {lastSecond} in its last two seconds; "
            + string.Join(", ", results.GroupBy(r => r is null ? "unanswered" : ((int)r.Status).ToString(CultureInfo.InvariantCulture)).Select(g => $"{g.Key}: {g.Count()}")));
        Assert.InRange(upstream.RequestCount, rpm, rpm + lastSecond);
        Assert.DoesNotContain(results, r => r is not null && (int)r.Status >= 500 && r.Status != HttpStatusCode.ServiceUnavailable);

        // No slot is left held: every lease ends (settled, or lapsed within seconds when unclaimed).
        await WaitUntilAsync(async () => await new AdminApi(fixture.Client, frontEnds[0].BaseUrl, ClusterLimitsFixture.AdminKey).LeasesAsync(tenant) == 0, "every lease to end", TimeSpan.FromSeconds(30));
    }

    /// <summary>Activates the tenant's limiter and finds the silo it lives on (its home silo: the one a test will kill).</summary>
    private static async Task<(ILimiterGrain Limiter, int SiloIndex)> LocateTenantLimiterAsync(IGrainFactory grains, string tenant, AzuriteCluster cluster)
    {
        var limiter = grains.GetGrain<ILimiterGrain>(ILimiterGrain.TenantKey(tenant));
        await limiter.GetStateAsync();
        var address = await grains.GetGrain<IManagementGrain>(0).GetActivationAddress(limiter);
        var index = cluster.Silos.ToList().FindIndex(s => s is not null && s.Address.Equals(address));
        Assert.True(index >= 0, $"The limiter lives on {address}, which is none of the cluster's silos.");
        return (limiter, index);
    }

    private async Task<GatewayResponse[]> BurstAsync(LimitScenario scenario, int count, int? maxTokens = null)
    {
        using var start = new SemaphoreSlim(0);
        var calls = Enumerable.Range(0, count).Select(async i =>
        {
            await start.WaitAsync();
            return await fixture.Client.ChatAsync(fixture.FrontEnds[i % 2].BaseUrl, scenario.Key, scenario.Model, maxTokens);
        }).ToArray();
        start.Release(count);
        return await Task.WhenAll(calls);
    }

    /// <summary>
    /// One caller sending again as soon as it has an answer. A request still unanswered after
    /// <see cref="LostAfter"/> counts as lost (null): a non-streamed request whose front-end's
    /// gateway silo dies under it gets no answer (see the report in the test's comments).
    /// </summary>
    private static async Task<List<GatewayResponse?>> LoadAsync(GatewayClient client, string baseUrl, string key, string model, CancellationToken stop)
    {
        var results = new List<GatewayResponse?>();
        while (!stop.IsCancellationRequested)
        {
            using var lost = new CancellationTokenSource(LostAfter);
            GatewayResponse? response;
            try
            {
                response = await client.ChatAsync(baseUrl, key, model, cancellationToken: lost.Token);
            }
            catch (OperationCanceledException) when (lost.IsCancellationRequested)
            {
                response = null;
            }

            results.Add(response);
            if (response?.Status != HttpStatusCode.OK)
            {
                // Pace the refused caller a little, so refusals do not crowd out the two cores.
                await Task.Delay(20, CancellationToken.None);
            }
        }

        return results;
    }

    private static Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        WaitUntilAsync(() => Task.FromResult(condition()), what, timeout);

    private static Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null) =>
        Eventually.UntilAsync(condition, what, timeout ?? TimeSpan.FromSeconds(30));

    private static void AssertRateLimited(GatewayResponse response)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.Status);
        Assert.Equal("rate_limit_exceeded", response.ErrorCode);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.True(int.Parse(response.Header("retry-after-ms")!, CultureInfo.InvariantCulture) > 0);
    }
}
