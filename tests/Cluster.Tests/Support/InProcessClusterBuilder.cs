using Cluster.Grains;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Cluster.Tests.Support;

/// <summary>How an <see cref="InProcessCluster"/> starts: how many silos, which clock the grains read, whether storage fails on demand.</summary>
public sealed class InProcessClusterBuilder(short silos)
{
    private FakeTimeProvider? _time;
    private StorageFaults? _storageFaults;

    /// <summary>
    /// The grains (limit windows, lease lifetimes, circuit cooldowns, session TTLs, grain timers) read
    /// <paramref name="time"/>, which moves only when a test advances it; Orleans' own background
    /// loops (membership, messaging) stay on real time.
    /// </summary>
    public InProcessClusterBuilder WithFakeTime(FakeTimeProvider time)
    {
        _time = time;
        return this;
    }

    /// <summary>Grain storage fails a write after applying it when <paramref name="faults"/> says so.</summary>
    public InProcessClusterBuilder WithStorageFaults(StorageFaults faults)
    {
        _storageFaults = faults;
        return this;
    }

    /// <summary>Starts the silos; returns once the cluster is up.</summary>
    public async Task<InProcessCluster> StartAsync()
    {
        var builder = new InProcessTestClusterBuilder(silos);
        var (time, faults) = (_time, _storageFaults);
        builder.ConfigureSilo((_, silo) =>
        {
            if (time is not null)
            {
                silo.Services.RemoveAll<TimeProvider>();
                silo.Services.AddSingleton<TimeProvider>(time);
                silo.Services.UseTimeProviderForBackgroundAreas(TimeProvider.System);
            }

            if (faults is null)
            {
                silo.AddMemoryGrainStorage(GrainStorage.Name);
            }
            else
            {
                silo.AddMemoryGrainStorage("memory");
                silo.Services.AddKeyedSingleton<IGrainStorage>(GrainStorage.Name, (services, _) =>
                    new FaultyGrainStorage(services.GetRequiredKeyedService<IGrainStorage>("memory"), faults));
            }

            silo.AddCompletionGrains();
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new InProcessCluster(cluster, time, faults);
    }
}
