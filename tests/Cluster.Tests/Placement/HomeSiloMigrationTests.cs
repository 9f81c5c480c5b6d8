using Cluster.Grains.Access;
using Cluster.Grains.Completions;
using Cluster.Grains.Limits;
using Cluster.Grains.Placement;
using Cluster.Grains.Sessions;
using Cluster.Tests.Support;

namespace Cluster.Tests.Placement;

/// <summary>
/// Grains placed on their home silo move there when a silo joins, and take their live state along:
/// a limiter keeps its leases and counts (and admits at once, with no crash-recovery pause), a
/// session keeps its pins.
/// </summary>
public sealed class HomeSiloMigrationTests : IAsyncLifetime
{
    private const int Grains = 24;
    private InProcessCluster _started = null!;

    public async Task InitializeAsync() => _started = await InProcessCluster.Create(silos: 1).StartAsync();

    public async Task DisposeAsync() => await _started.DisposeAsync();

    [Fact]
    public async Task SiloJoins_GrainsWhoseHomeItIs_MoveThereWithTheirLiveState()
    {
        var client = _started.Cluster.Client;
        var first = _started.Cluster.Silos[0].SiloAddress;
        var run = Guid.NewGuid().ToString("N")[..8];
        var limits = new ScopeLimits(Rpm: 1000, Tpm: null, MaxConcurrency: 5);
        for (var i = 0; i < Grains; i++)
        {
            var limiter = client.GetGrain<ILimiterGrain>(ILimiterGrain.TenantKey($"move-{run}-{i}"));
            Assert.True((await limiter.AdmitAsync(Admission($"held-{i}", limits))).Admitted);
            await client.GetGrain<ISessionGrain>($"move-{run}-{i}").PinAsync("model", [$"deployment-{i}"]);
        }

        var second = (await _started.Cluster.StartAdditionalSiloAsync()).SiloAddress;
        await _started.Cluster.WaitForLivenessToStabilizeAsync();
        var management = client.GetGrain<IManagementGrain>(0);
        var movers = Enumerable.Range(0, Grains)
            .Where(i => HomeSilos.Choose(client.GetGrain<ILimiterGrain>(ILimiterGrain.TenantKey($"move-{run}-{i}")).GetGrainId(), [first, second]).Equals(second))
            .ToList();
        Assert.NotEmpty(movers);

        foreach (var i in movers)
        {
            var limiter = client.GetGrain<ILimiterGrain>(ILimiterGrain.TenantKey($"move-{run}-{i}"));

            // Any call after the membership changed makes the grain move once idle.
            await Eventually.UntilAsync(
                async () =>
                {
                    await limiter.GetStateAsync();
                    return second.Equals(await management.GetActivationAddress(limiter));
                },
                $"limiter {i} to move to the new silo",
                TimeSpan.FromSeconds(30));

            // Its lease came along: still in flight, and four more fit under MaxConcurrency 5, not five.
            var state = await limiter.GetStateAsync();
            Assert.Equal(1, state.Leases);
            for (var n = 0; n < 4; n++)
            {
                Assert.True((await limiter.AdmitAsync(Admission($"more-{i}-{n}", limits))).Admitted);
            }

            Assert.False((await limiter.AdmitAsync(Admission($"over-{i}", limits))).Admitted);
        }

        foreach (var i in movers.Where(i => HomeSilos.Choose(client.GetGrain<ISessionGrain>($"move-{run}-{i}").GetGrainId(), [first, second]).Equals(second)))
        {
            var session = client.GetGrain<ISessionGrain>($"move-{run}-{i}");
            await Eventually.UntilAsync(
                async () =>
                {
                    await session.GetAsync();
                    return second.Equals(await management.GetActivationAddress(session));
                },
                $"session {i} to move to the new silo",
                TimeSpan.FromSeconds(30));
            Assert.Equal($"deployment-{i}", (await session.GetAsync()).Pins["model"]);
        }
    }

    private static AdmissionRequest Admission(string requestId, ScopeLimits limits) =>
        new(requestId, null, ScopeLimits.None, "model", ScopeLimits.None, limits, TenantQuotas.None, 0, 0);
}
