using System.Net;
using System.Net.Sockets;

namespace Cluster.Testing;

/// <summary>
/// Loopback ports nobody listens on, so every host in a test or bench run gets its own. One
/// source file, compiled into the tests and the bench (linked from both project files).
/// </summary>
internal static class FreePorts
{
    /// <summary>
    /// Ports are taken from below the kernel's ephemeral range (32768 and up on Linux), where no
    /// outgoing connection can take one between this check and the server's bind, starting at a
    /// random place so runs side by side rarely meet, and never handed out twice.
    /// </summary>
    private const int First = 20_000;
    private const int Last = 32_000;
    private static int _next = First + Random.Shared.Next(Last - First);

    public static int Next()
    {
        for (var tried = 0; tried < Last - First; tried++)
        {
            var port = Interlocked.Increment(ref _next);
            port = First + ((port - First) % (Last - First));
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                listener.Stop();
                return port;
            }
            catch (SocketException)
            {
                // In use: try the next one.
            }
        }

        throw new InvalidOperationException($"No free loopback port between {First} and {Last}.");
    }
}
