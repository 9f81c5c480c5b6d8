using System.Diagnostics;
using System.Net;
using System.Text;
using Cluster.Tests.Support;

namespace Cluster.Tests.Fuzz;

/// <summary>
/// Clients that trickle their headers or body are cut off by Kestrel's limits
/// (<c>Server:RequestHeadersTimeout</c>, <c>Server:MinRequestBodyBytesPerSecond</c> after
/// <c>Server:MinRequestBodyGrace</c>), and do not hold up anyone else meanwhile.
/// </summary>
public sealed class SlowClientTests
{
    private const string Chat = "/v1/chat/completions";
    private static readonly byte[] Valid = """{"model":"echo","messages":[{"role":"user","content":"hi"}]}"""u8.ToArray();

    [Fact]
    public async Task Send_HeadersTrickled_ConnectionClosedAfterTheHeadersTimeout()
    {
        await using var gateway = await StartAsync();
        using var slow = await RawHttp.ConnectAsync(gateway.BaseUrl);
        var stream = slow.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST {Chat} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-slow: "));
        var clock = Stopwatch.StartNew();

        // One byte every 200 ms until the server gives up on us (or 30 s pass).
        var closed = false;
        var served = false;
        while (!closed && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            try
            {
                await stream.WriteAsync("a"u8.ToArray());
                if (!served)
                {
                    // Meanwhile, others are served.
                    var other = await RawHttp.SendAsync(gateway.BaseUrl, Head(Valid.Length), Valid);
                    served = other.Status == HttpStatusCode.OK;
                }

                closed = slow.Client.Poll(200_000, System.Net.Sockets.SelectMode.SelectRead) && slow.Available == 0
                    || (slow.Available > 0 && await ReadsToEndAsync(stream));
            }
            catch (IOException)
            {
                closed = true;
            }
        }

        Assert.True(served, "A normal request was not served while a client trickled its headers.");
        Assert.True(closed, "The trickling client was never cut off.");
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Send_BodyTrickled_Answered408OpenAIError()
    {
        await using var gateway = await StartAsync();
        using var slow = await RawHttp.ConnectAsync(gateway.BaseUrl);
        var stream = slow.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(Head(10_000) + "\r\n\r\n"));
        var clock = Stopwatch.StartNew();

        // One byte every 100 ms: 10 bytes/s against a minimum of 100 bytes/s.
        RawResponse? response = null;
        var sent = 0;
        while (response is null && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            try
            {
                await stream.WriteAsync(Valid.AsMemory(sent++ % Valid.Length, 1));
            }
            catch (IOException)
            {
                break;
            }

            if (slow.Client.Poll(100_000, System.Net.Sockets.SelectMode.SelectRead))
            {
                response = await RawHttp.ReadAsync(stream, TimeSpan.FromSeconds(10));
            }
        }

        Assert.NotNull(response);
        ErrorAssert.Matches(response, HttpStatusCode.RequestTimeout, "invalid_request_error", "request_timeout", null);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(30));
    }

    private static async Task<bool> ReadsToEndAsync(System.Net.Sockets.NetworkStream stream)
    {
        var buffer = new byte[4096];
        while (await stream.ReadAsync(buffer) > 0)
        {
        }

        return true;
    }

    private static string Head(int length) =>
        $"POST {Chat} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {length}";

    private static Task<GatewayHost> StartAsync() => GatewayHost.StartAsync(
        GatewayFixture.EchoOnlyConfiguration(),
        "--Server:RequestHeadersTimeout", "00:00:02",
        "--Server:MinRequestBodyBytesPerSecond", "100",
        "--Server:MinRequestBodyGrace", "00:00:02");
}
