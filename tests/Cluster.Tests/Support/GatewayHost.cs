using System.Text.Json;
using Cluster.Api;
using Microsoft.AspNetCore.Builder;

namespace Cluster.Tests.Support;

/// <summary>
/// The real gateway (api with a co-hosted silo, or as a client of other silos) on a loopback port,
/// configured by a JSON document written to a temporary file and passed as <c>--config</c>, as a
/// user would.
/// </summary>
public sealed class GatewayHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _configFile;

    private GatewayHost(WebApplication app, string configFile, string baseUrl)
    {
        _app = app;
        _configFile = configFile;
        BaseUrl = baseUrl;
    }

    /// <summary>The root URL, without <c>/v1</c>.</summary>
    public string BaseUrl { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts a gateway on <paramref name="config"/> (any object serialisable to the configuration JSON).</summary>
    public static Task<GatewayHost> StartAsync(object config, params string[] extraArgs) => StartAsync(config, null, extraArgs);

    /// <summary>As <see cref="StartAsync(object, string[])"/>, with <paramref name="configure"/> applied to the builder (e.g. a test's telemetry exporter).</summary>
    public static async Task<GatewayHost> StartAsync(object config, Action<WebApplicationBuilder>? configure, params string[] extraArgs)
    {
        var file = Path.Combine(Path.GetTempPath(), $"cluster-test-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(config));
        var port = FreePorts.Next();
        string[] args =
        [
            "--config", file,
            "--urls", $"http://127.0.0.1:{port}",
            "--Cluster:SiloPort", FreePorts.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--Cluster:GatewayPort", FreePorts.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--Cluster:ClusterId", "test-" + Guid.NewGuid().ToString("N"),
            "--Logging:LogLevel:Default", "Warning",
            .. extraArgs,
        ];
        if (!extraArgs.Contains("--Usage:SpoolDirectory"))
        {
            // Each host its own spool: records spooled by one test's cluster are never replayed into another's.
            args = [.. args, "--Usage:SpoolDirectory", Path.Combine(Path.GetTempPath(), "cluster-test-spool", Guid.NewGuid().ToString("N"))];
        }

        if (!extraArgs.Contains("--Cluster:PrimarySiloPort"))
        {
            args = [.. args, "--Cluster:PrimarySiloPort", args[Array.IndexOf(args, "--Cluster:SiloPort") + 1]];
        }

        var app = GatewayApp.Build(args, configure);
        await app.StartAsync();
        return new GatewayHost(app, file, $"http://127.0.0.1:{port}");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        File.Delete(_configFile);
    }
}
