using System.Text.Json;

namespace Cluster.Tests.Support;

/// <summary>How a <see cref="SiloProcessCluster"/> is set up: its configuration, its <c>ServiceId</c> and default <c>ClusterId</c>.</summary>
public sealed class SiloProcessClusterBuilder
{
    private object? _config;
    private string? _configFile;
    private string _serviceId = "test-" + Guid.NewGuid().ToString("N")[..12];
    private string? _clusterId;

    /// <summary>The configuration (any object serialisable to the configuration JSON), written to a file of the cluster's own.</summary>
    public SiloProcessClusterBuilder WithConfig(object config)
    {
        _config = config;
        return this;
    }

    /// <summary>A configuration file the test writes (before the first process starts) and deletes itself.</summary>
    public SiloProcessClusterBuilder WithConfigFile(string path)
    {
        _configFile = path;
        return this;
    }

    public SiloProcessClusterBuilder WithServiceId(string serviceId)
    {
        _serviceId = serviceId;
        return this;
    }

    /// <summary>The cluster processes join unless told another; the <c>ServiceId</c> unless told.</summary>
    public SiloProcessClusterBuilder WithClusterId(string clusterId)
    {
        _clusterId = clusterId;
        return this;
    }

    /// <summary>Fails (never skips) when Azurite does not answer; writes the configuration file if the cluster owns it. Starts no process.</summary>
    public async Task<SiloProcessCluster> BuildAsync()
    {
        if ((_config is null) == (_configFile is null))
        {
            throw new InvalidOperationException("Give either a configuration or a configuration file.");
        }

        await AzuriteCluster.RequireAzuriteAsync();
        var file = _configFile ?? Path.Combine(Path.GetTempPath(), $"cluster-test-{Guid.NewGuid():N}.json");
        if (_config is not null)
        {
            await File.WriteAllTextAsync(file, JsonSerializer.Serialize(_config));
        }

        return new SiloProcessCluster(file, _configFile is null, _serviceId, _clusterId ?? _serviceId);
    }
}
