using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Cluster.Tests.Support;

/// <summary>
/// The silo program as a separate process (<c>dotnet Cluster.Silo.dll</c> from the test's output
/// folder, where the referenced silo project is built), so a test can kill it as an operator's
/// <c>kill -9</c> would. Its output is kept for failure messages. Disposing kills it, by its PID.
/// </summary>
public sealed class SiloProcess : IDisposable
{
    private const string Started = "Application started";
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SiloProcess(Process process, int siloPort, int gatewayPort)
    {
        _process = process;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
    }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the silo wrote.</summary>
    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>Starts a silo on <paramref name="configFile"/> and the given ports; returns once it has joined its cluster.</summary>
    public static async Task<SiloProcess> StartAsync(string configFile, int siloPort, int gatewayPort, IEnumerable<string> args, TimeSpan? timeout = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Cluster.Silo.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"The silo is not built next to the tests: {dll} is missing.");
        }

        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] arguments =
        [
            dll,
            "--config", configFile,
            "--Cluster:SiloPort", siloPort.ToString(CultureInfo.InvariantCulture),
            "--Cluster:GatewayPort", gatewayPort.ToString(CultureInfo.InvariantCulture),
            "--Logging:LogLevel:Default", "Warning",
            "--Logging:LogLevel:Orleans", "Error",
            "--Logging:LogLevel:Microsoft.Hosting.Lifetime", "Information",
            .. args,
        ];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("CLUSTER_CONFIG");
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var silo = new SiloProcess(process, siloPort, gatewayPort);
        process.OutputDataReceived += (_, e) => silo.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Keep(e.Data);
        process.Exited += (_, _) => silo._started.TrySetException(new InvalidOperationException($"The silo exited with {SafeExitCode(process)} before it started:{Environment.NewLine}{silo.Output}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await silo._started.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            silo.Dispose();
            throw new TimeoutException($"The silo did not start in time:{Environment.NewLine}{silo.Output}");
        }
        catch
        {
            silo.Dispose();
            throw;
        }

        return silo;
    }

    /// <summary>Kills the process at once (SIGKILL): no shutdown of any kind.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.WaitForExit();
    }

    public void Dispose()
    {
        try
        {
            Kill();
        }
        catch (InvalidOperationException)
        {
            // Never started, or already gone.
        }

        _process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 200 && _output.TryDequeue(out _))
        {
        }

        if (line.Contains(Started, StringComparison.Ordinal))
        {
            _started.TrySetResult();
        }
    }

    private static string SafeExitCode(Process process)
    {
        try
        {
            return process.ExitCode.ToString(CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            return "an unknown code";
        }
    }

    /// <summary>The dotnet host running this test, or the one on the PATH.</summary>
    private static string DotnetHost()
    {
        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }
}
