using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Cluster.Tests.Support;

/// <summary>One in-process silo of an <see cref="AzuriteCluster"/>.</summary>
public sealed class SiloHost(IHost host, int siloPort, int gatewayPort)
{
    public int SiloPort { get; } = siloPort;

    public int GatewayPort { get; } = gatewayPort;

    public IServiceProvider Services => host.Services;

    /// <summary>This silo's address: endpoint and generation, as the cluster knows it.</summary>
    public SiloAddress Address => host.Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;

    internal async Task StopAsync(bool graceful)
    {
        try
        {
            // Orleans stops a silo gracefully unless the token is already cancelled; then it skips
            // deactivation and the membership update and only closes its connections.
            using var stop = new CancellationTokenSource();
            if (!graceful)
            {
                await stop.CancelAsync();
            }

            await host.StopAsync(stop.Token);
        }
        catch (OperationCanceledException) when (!graceful)
        {
        }
        finally
        {
            host.Dispose();
        }
    }
}
