using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Cluster.Tests.Support;

/// <summary>
/// One of the project's programs (<c>dotnet Cluster.Silo.dll</c>, <c>dotnet Cluster.Api.dll</c>)
/// as a separate process, started from the test's output folder where the referenced projects are
/// built, so a test can stop it as an operator or an orchestrator would: SIGTERM, or SIGKILL. Its
/// output is kept for failure messages. Disposing kills it, by its PID.
/// </summary>
public sealed class ProgramProcess : IDisposable
{
    private const string Started = "Application started";
    private const int SigTerm = 15;
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ProgramProcess(Process process, string name)
    {
        _process = process;
        Name = name;
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the program wrote.</summary>
    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>Starts <paramref name="dllName"/> with <paramref name="arguments"/>; returns once the host has started ("Application started").</summary>
    public static async Task<ProgramProcess> StartAsync(string dllName, IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, dllName);
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"The program is not built next to the tests: {dll} is missing.");
        }

        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("CLUSTER_CONFIG");
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var program = new ProgramProcess(process, Path.GetFileNameWithoutExtension(dllName));
        process.OutputDataReceived += (_, e) => program.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => program.Keep(e.Data);
        process.Exited += (_, _) => program._started.TrySetException(new InvalidOperationException($"{program.Name} exited with {SafeExitCode(process)} before it started:{Environment.NewLine}{program.Output}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await program._started.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            program.Dispose();
            throw new TimeoutException($"{program.Name} did not start in time:{Environment.NewLine}{program.Output}");
        }
        catch
        {
            program.Dispose();
            throw;
        }

        return program;
    }

    /// <summary>Asks the process to stop (SIGTERM), as <c>docker stop</c> or Kubernetes does.</summary>
    public void Terminate()
    {
        if (!_process.HasExited && Kill(_process.Id, SigTerm) != 0)
        {
            throw new InvalidOperationException($"SIGTERM to {Name} (pid {_process.Id}) failed: errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    /// <summary>Waits for the process to exit and returns its exit code; fails with its output if it does not within <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name} (pid {_process.Id}) did not exit within {timeout}:{Environment.NewLine}{Output}");
        }

        return _process.ExitCode;
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

    // DllImport rather than LibraryImport: the generated form needs unsafe code enabled for two ints.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 300 && _output.TryDequeue(out _))
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
