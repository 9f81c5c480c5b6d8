using System.Globalization;

namespace Cluster.Tests.Support;

/// <summary>
/// The silo program as a separate process (see <see cref="ProgramProcess"/>), on its own silo,
/// gateway and HTTP ports, so a test can kill it as an operator's <c>kill -9</c> would or stop it
/// with SIGTERM as an orchestrator does. Disposing kills it, by its PID.
/// </summary>
public sealed class SiloProcess : IDisposable
{
    private readonly ProgramProcess _process;

    private SiloProcess(ProgramProcess process, int siloPort, int gatewayPort, int httpPort)
    {
        _process = process;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
        HttpUrl = $"http://127.0.0.1:{httpPort}";
    }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    /// <summary>Where the silo serves <c>/health/*</c> and <c>/metrics</c>.</summary>
    public string HttpUrl { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the silo wrote.</summary>
    public string Output => _process.Output;

    /// <summary>Starts a silo on <paramref name="configFile"/> and the given ports; returns once it has joined its cluster.</summary>
    public static async Task<SiloProcess> StartAsync(string configFile, int siloPort, int gatewayPort, IEnumerable<string> args, TimeSpan? timeout = null)
    {
        var httpPort = FreePorts.Next();
        string[] arguments =
        [
            "--config", configFile,
            "--urls", $"http://127.0.0.1:{httpPort}",
            "--Cluster:SiloPort", siloPort.ToString(CultureInfo.InvariantCulture),
            "--Cluster:GatewayPort", gatewayPort.ToString(CultureInfo.InvariantCulture),
            "--Logging:LogLevel:Default", "Warning",
            "--Logging:LogLevel:Orleans", "Error",
            "--Logging:LogLevel:Microsoft.Hosting.Lifetime", "Information",
            "--Logging:LogLevel:Cluster.Silo", "Information",
            .. args,
        ];
        var process = await ProgramProcess.StartAsync("Cluster.Silo.dll", arguments, timeout);
        return new SiloProcess(process, siloPort, gatewayPort, httpPort);
    }

    /// <summary>SIGTERM: the silo drains and leaves the cluster.</summary>
    public void Terminate() => _process.Terminate();

    public Task<int> WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync(timeout);

    /// <summary>Kills the process at once (SIGKILL): no shutdown of any kind.</summary>
    public void Kill() => _process.Kill();

    public void Dispose() => _process.Dispose();
}
