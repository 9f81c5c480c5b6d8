using System.Net;
using System.Net.Sockets;

namespace Cluster.Bench.Processes;

/// <summary>Whether something listens on a loopback port.</summary>
internal static class PortProbe
{
    public static async Task<bool> IsListeningAsync(int port, TimeSpan timeout)
    {
        using var client = new TcpClient();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port, cts.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}
