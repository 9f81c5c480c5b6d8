using System.Net;

namespace Cluster.Bench.Load;

/// <summary>The one pooled HTTP client of a run, sized so the client never caps concurrency.</summary>
internal static class BenchHttpClient
{
    public static HttpClient Create() => new(
        new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 4096,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(5),
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
        },
        disposeHandler: true)
    {
        Timeout = TimeSpan.FromSeconds(60),
    };
}
