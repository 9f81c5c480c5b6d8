using Cluster.Grains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Cluster.Tests.Limits;

/// <summary>
/// Two in-process silos with memory storage and the completion grains, whose grains see one
/// shared fake clock: limit windows, lease lifetimes and grain timers move only when a test
/// advances it. Orleans' own background loops (membership, messaging) stay on real time.
/// </summary>
public sealed class LimiterClusterFixture : IAsyncLifetime
{
    /// <summary>The last day of a month, late: a test that reaches the next day also crosses into the next month.</summary>
    private static readonly DateTimeOffset Start = new(2031, 3, 31, 21, 0, 0, TimeSpan.Zero);

    public FakeTimeProvider Time { get; } = new(Start);

    public InProcessTestCluster Cluster { get; private set; } = null!;

    /// <summary>The grain factory of each silo, so calls can come from both.</summary>
    public IReadOnlyList<IGrainFactory> SiloGrainFactories =>
        [.. Cluster.Silos.Select(s => s.ServiceProvider.GetRequiredService<IGrainFactory>())];

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(2);
        var time = Time;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.RemoveAll<TimeProvider>();
            silo.Services.AddSingleton<TimeProvider>(time);
            silo.Services.UseTimeProviderForBackgroundAreas(TimeProvider.System);
            silo.AddMemoryGrainStorage(GrainStorage.Name);
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
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}
