using System.Collections.Concurrent;
using System.Net;

namespace Cluster.Relay.Providers.OpenAI;

/// <summary>
/// Pooled HTTP connections to backends, one handler per connect timeout (in practice one). Proxies
/// from the environment are not used: backends are addressed directly.
/// </summary>
internal sealed class UpstreamHttp : IDisposable
{
    private readonly ConcurrentDictionary<TimeSpan, HttpMessageInvoker> _invokers = new();

    public HttpMessageInvoker For(TimeSpan connectTimeout) => _invokers.GetOrAdd(connectTimeout, static timeout =>
        new HttpMessageInvoker(new SocketsHttpHandler
        {
            ConnectTimeout = timeout,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            PooledConnectionLifetime = TimeSpan.FromMinutes(10),
            MaxConnectionsPerServer = int.MaxValue,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            UseProxy = false,
            AllowAutoRedirect = false,
            EnableMultipleHttp2Connections = true,
        }, disposeHandler: true));

    public void Dispose()
    {
        foreach (var invoker in _invokers.Values)
        {
            invoker.Dispose();
        }
    }
}
