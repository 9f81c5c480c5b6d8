using System.Diagnostics;

namespace Cluster.Bench.Processes;

/// <summary>
/// A server process this bench started: its output goes to a log file (the last lines are kept
/// for error messages), and it is stopped by its PID — SIGTERM, then kill after a grace period.
/// </summary>
internal sealed class ChildProcess
{
    private const int TailLines = 40;

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Queue<string> _tail = new();
    private readonly Lock _gate = new();
    private readonly List<(string Prefix, TaskCompletionSource<string> Line)> _waiters = [];
    private long? _lastPeakRss;

    private ChildProcess(string name, string role, Process process, StreamWriter log, string logPath)
    {
        Name = name;
        Role = role;
        _process = process;
        _log = log;
        LogPath = logPath;
        Pid = process.Id;
    }

    public string Name { get; }

    public string Role { get; }

    public int Pid { get; }

    public string LogPath { get; }

    public bool HasExited
    {
        get
        {
            try
            {
                return _process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }
    }

    public static ChildProcess Start(string name, string role, string fileName, IEnumerable<string> arguments, string workingDirectory, string logPath)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        // A child must not inherit a launch profile or watch settings from `dotnet run`.
        info.Environment.Remove("ASPNETCORE_URLS");
        info.Environment.Remove("DOTNET_WATCH");
        info.Environment["DOTNET_NOLOGO"] = "1";

        var log = new StreamWriter(logPath, append: false) { AutoFlush = true };
        log.WriteLine($"# {fileName} {string.Join(' ', info.ArgumentList)}");
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        ChildProcess? child = null;
        process.OutputDataReceived += (_, e) => child?.OnLine(e.Data, "out");
        process.ErrorDataReceived += (_, e) => child?.OnLine(e.Data, "err");
        if (!process.Start())
        {
            log.Dispose();
            throw new InvalidOperationException($"could not start {fileName}");
        }

        child = new ChildProcess(name, role, process, log, logPath);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits for a line of output that starts with <paramref name="prefix"/> and returns the rest.</summary>
    public async Task<string> WaitForLineAsync(string prefix, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var line = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            foreach (var seen in _tail)
            {
                if (seen.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return seen[prefix.Length..];
                }
            }

            _waiters.Add((prefix, line));
        }

        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutCts.CancelAfter(timeout);
        var exited = _process.WaitForExitAsync(timeoutCts.Token);
        var first = await Task.WhenAny(line.Task, exited, Task.Delay(Timeout.Infinite, timeoutCts.Token));
        cancellationToken.ThrowIfCancellationRequested();
        if (first == line.Task)
        {
            return await line.Task;
        }

        throw new InvalidOperationException(HasExited
            ? $"{Name} exited (code {ExitCodeOrNull()}) before it was ready. {DescribeTail()}"
            : $"{Name} did not print '{prefix.Trim()}' within {timeout.TotalSeconds:0} s. {DescribeTail()}");
    }

    public string DescribeTail()
    {
        lock (_gate)
        {
            var lines = _tail.TakeLast(12).ToArray();
            return lines.Length == 0
                ? $"(no output; log {LogPath})"
                : $"Last output ({LogPath}):\n    " + string.Join("\n    ", lines);
        }
    }

    /// <summary>Peak RSS; remembered so it can still be reported after the process has stopped.</summary>
    public long? PeakRssBytes()
    {
        if (!HasExited && ProcessMemory.PeakRssBytes(Pid) is { } peak)
        {
            _lastPeakRss = peak;
        }

        return _lastPeakRss;
    }

    public long? RssBytes() => HasExited ? null : ProcessMemory.RssBytes(Pid);

    /// <summary>SIGTERM, up to <paramref name="grace"/> to exit, then SIGKILL to the process tree.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        PeakRssBytes();
        if (HasExited)
        {
            return;
        }

        if (PosixSignals.Terminate(Pid))
        {
            using var cts = new CancellationTokenSource(grace);
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }

        Kill();
    }

    /// <summary>Immediate kill by PID, for the paths where nothing can be awaited.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(2000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }
    }

    private int? ExitCodeOrNull()
    {
        try
        {
            return _process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private void OnLine(string? line, string stream)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            try
            {
                _log.WriteLine(stream == "err" ? "[err] " + line : line);
            }
            catch (ObjectDisposedException)
            {
            }

            _tail.Enqueue(line);
            while (_tail.Count > TailLines)
            {
                _tail.Dequeue();
            }

            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                var (prefix, waiter) = _waiters[i];
                if (line.StartsWith(prefix, StringComparison.Ordinal))
                {
                    waiter.TrySetResult(line[prefix.Length..]);
                    _waiters.RemoveAt(i);
                }
            }
        }
    }
}
