namespace Cluster.Tests.Support;

/// <summary>How an <see cref="AzuriteCluster"/> starts: how many silos, which <c>ServiceId</c>, which clock its silos read.</summary>
public sealed class AzuriteClusterBuilder(object config)
{
    private int _silos = 2;
    private string _serviceId = "test-" + Guid.NewGuid().ToString("N")[..12];
    private TimeProvider? _siloTime;

    /// <summary>The number of silos started (2 unless told).</summary>
    public AzuriteClusterBuilder WithSilos(int silos)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(silos, 1);
        _silos = silos;
        return this;
    }

    /// <summary>The <c>ServiceId</c> (whose grain state the silos share); a fresh one unless told.</summary>
    public AzuriteClusterBuilder WithServiceId(string serviceId)
    {
        _serviceId = serviceId;
        return this;
    }

    /// <summary>The clock the silos' grains and services read (Orleans' own loops stay on real time).</summary>
    public AzuriteClusterBuilder WithSiloTime(TimeProvider time)
    {
        _siloTime = time;
        return this;
    }

    /// <summary>Starts the silos, one after the other; returns once all have joined.</summary>
    public Task<AzuriteCluster> StartAsync() => AzuriteCluster.StartAsync(config, _silos, _serviceId, _siloTime);
}
