using Cluster.Grains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Cluster.Tests.Routing;

/// <summary>
/// Two in-process silos with the completion grains and memory storage, whose grains read one fake
/// clock: circuit windows, cooldowns and session TTLs pass only when a test advances it. Orleans'
/// own background loops stay on real time. Tests use fresh grain ids and only relative time.
/// </summary>
[CollectionDefinition(Name)]
public sealed class RoutingClusterFixture : IAsyncLifetime, ICollectionFixture<RoutingClusterFixture>
{
    public const string Name = "routing grains";

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2031, 6, 1, 12, 0, 0, TimeSpan.Zero));

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

    public async Task DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
    }
}
