using Cluster.Grains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Cluster.Tests.Support;

/// <summary>
/// Two in-process silos with memory storage and the completion grains, whose grains see one
/// shared fake clock: limit windows, lease lifetimes and grain timers move only when a test
/// advances it. Orleans' own background loops (membership, messaging) stay on real time. The
/// grains' storage can be told to fail a write after applying it (<see cref="StorageFaults"/>).
/// The tests of its collection run one after the other, since they share the clock.
/// </summary>
[CollectionDefinition(Name)]
public sealed class FakeTimeClusterFixture : IAsyncLifetime, ICollectionFixture<FakeTimeClusterFixture>
{
    public const string Name = "fake-time cluster";

    /// <summary>The last day of a month, late: a test that reaches the next day also crosses into the next month.</summary>
    private static readonly DateTimeOffset Start = new(2031, 3, 31, 21, 0, 0, TimeSpan.Zero);

    public FakeTimeProvider Time { get; } = new(Start);

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public StorageFaults StorageFaults { get; } = new();

    /// <summary>The grain factory of each silo, so calls can come from both.</summary>
    public IReadOnlyList<IGrainFactory> SiloGrainFactories =>
        [.. Cluster.Silos.Select(s => s.ServiceProvider.GetRequiredService<IGrainFactory>())];

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(2);
        var time = Time;
        var faults = StorageFaults;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.RemoveAll<TimeProvider>();
            silo.Services.AddSingleton<TimeProvider>(time);
            silo.Services.UseTimeProviderForBackgroundAreas(TimeProvider.System);
            silo.AddMemoryGrainStorage("memory");
            silo.Services.AddKeyedSingleton<IGrainStorage>(GrainStorage.Name, (services, _) =>
                new FaultyGrainStorage(services.GetRequiredKeyedService<IGrainStorage>("memory"), faults));
            silo.AddCompletionGrains();
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    /// <summary>Moves the clock to <paramref name="offset"/> past the next whole second, so slot boundaries are known.</summary>
    public DateTimeOffset AlignToSecond(TimeSpan offset)
    {
        var now = Time.GetUtcNow();
        var next = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds() + 1) + offset;
        Time.Advance(next - now);
        return next;
    }

    public async Task DisposeAsync()
    {
        // Killed, not stopped: a graceful stop (which deactivates every grain, whose timers run on a
        // clock nobody moves any more) took 30 s about every other run.
        foreach (var silo in Cluster.Silos.ToList())
        {
            await Cluster.KillSiloAsync(silo);
        }

        await Cluster.DisposeAsync();
    }
}
