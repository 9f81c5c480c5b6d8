using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Cluster.Tests.Support;

/// <summary>
/// An <see cref="InProcessCluster"/> shared by the tests of one xunit collection; a collection's
/// fixture only says how its cluster is built (<see cref="Build"/>) and what it seeds.
/// </summary>
public abstract class InProcessClusterFixture : IAsyncLifetime
{
    private InProcessCluster? _started;

    public InProcessCluster Started => _started ?? throw new InvalidOperationException("The cluster has not started.");

    public InProcessTestCluster Cluster => Started.Cluster;

    public IClusterClient Client => Started.Client;

    /// <summary>The clock the grains read, for a cluster on fake time.</summary>
    public FakeTimeProvider Time => Started.Time;

    /// <summary>The grain factory of each silo, so calls can come from all of them.</summary>
    public IReadOnlyList<IGrainFactory> SiloGrainFactories => Started.SiloGrainFactories;

    public async Task InitializeAsync()
    {
        _started = await Build().StartAsync();
        await SeedAsync();
    }

    public async Task DisposeAsync()
    {
        if (_started is not null)
        {
            await _started.DisposeAsync();
        }
    }

    /// <summary>How this collection's cluster is built.</summary>
    protected abstract InProcessClusterBuilder Build();

    /// <summary>What this collection's tests expect to find in the cluster before the first one runs.</summary>
    protected virtual Task SeedAsync() => Task.CompletedTask;
}
