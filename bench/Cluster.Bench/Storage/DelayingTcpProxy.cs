using System.Net;
using System.Net.Sockets;

namespace Cluster.Bench.Storage;

/// <summary>
/// A TCP proxy on loopback that holds each request to the storage endpoint for a fixed delay before
/// passing it on, so the cluster rows can be measured as if storage were a cloud round trip away
/// (<c>--storage-delay-ms</c>). A request is the first bytes a client sends after the server's last
/// answer on that connection, so a keep-alive HTTP connection pays the delay once per exchange.
/// </summary>
internal sealed class DelayingTcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly TimeSpan _delay;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private DelayingTcpProxy(IPEndPoint target, TimeSpan delay)
    {
        (_target, _delay) = (target, delay);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public static DelayingTcpProxy Start(IPEndPoint target, TimeSpan delay) => new(target, delay);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        using var _ = client;
        using var server = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        try
        {
            await server.ConnectAsync(_target, _stop.Token);
            var exchange = new Exchange();
            await Task.WhenAny(PumpAsync(client, server, exchange, toServer: true), PumpAsync(server, client, exchange, toServer: false));
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
        catch (SocketException)
        {
        }
    }

    private async Task PumpAsync(Socket from, Socket to, Exchange exchange, bool toServer)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
            if (read == 0)
            {
                to.Shutdown(SocketShutdown.Send);
                return;
            }

            if (toServer && exchange.AwaitingRequest)
            {
                exchange.AwaitingRequest = false;
                await Task.Delay(_delay, _stop.Token);
            }
            else if (!toServer)
            {
                exchange.AwaitingRequest = true;
            }

            await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None, _stop.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    /// <summary>Whether the next bytes from the client start a new request (the server has answered since).</summary>
    private sealed class Exchange
    {
        public volatile bool AwaitingRequest = true;
    }
}
