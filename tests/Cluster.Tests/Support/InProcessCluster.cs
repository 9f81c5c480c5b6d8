using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Cluster.Tests.Support;

/// <summary>
/// Orleans' <see cref="InProcessTestCluster"/> hosting the completion grains on memory storage: for
/// tests of the grains themselves, without the api or the silo program around them. Started through
/// <see cref="Create"/>, optionally on a fake clock and with storage that fails on demand.
/// </summary>
public sealed class InProcessCluster : IAsyncDisposable
{
    private readonly FakeTimeProvider? _time;
    private readonly StorageFaults? _storageFaults;

    internal InProcessCluster(InProcessTestCluster cluster, FakeTimeProvider? time, StorageFaults? storageFaults)
    {
        Cluster = cluster;
        _time = time;
        _storageFaults = storageFaults;
    }

    public InProcessTestCluster Cluster { get; }

    public IClusterClient Client => Cluster.Client;

    /// <summary>The clock the grains read, when the cluster was built on one (<see cref="InProcessClusterBuilder.WithFakeTime"/>).</summary>
    public FakeTimeProvider Time => _time ?? throw new InvalidOperationException("This cluster runs on real time.");

    /// <summary>The switch that makes grain storage fail (<see cref="InProcessClusterBuilder.WithStorageFaults"/>).</summary>
    public StorageFaults StorageFaults => _storageFaults ?? throw new InvalidOperationException("This cluster's storage does not fail on demand.");

    /// <summary>The grain factory of each silo, so calls can come from all of them.</summary>
    public IReadOnlyList<IGrainFactory> SiloGrainFactories =>
        [.. Cluster.Silos.Select(s => s.ServiceProvider.GetRequiredService<IGrainFactory>())];

    /// <summary>The one way to start a cluster of this kind, of <paramref name="silos"/> silos.</summary>
    public static InProcessClusterBuilder Create(short silos = 2) => new(silos);

    public async ValueTask DisposeAsync()
    {
        if (_time is not null)
        {
            // Killed, not stopped: a graceful stop (which deactivates every grain, whose timers run on a
            // clock nobody moves any more) took 30 s about every other run.
            foreach (var silo in Cluster.Silos.ToList())
            {
                await Cluster.KillSiloAsync(silo);
            }
        }

        await Cluster.DisposeAsync();
    }
}
