using System.Runtime.InteropServices;

namespace Cluster.Bench.Processes;

/// <summary>
/// Every process the bench starts, so that each one is stopped by its PID on every way out:
/// normal end, exception, Ctrl-C, SIGTERM, and process exit as the last resort.
/// </summary>
internal sealed class ChildProcessRegistry : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<ChildProcess> _children = [];
    private readonly List<ChildProcess> _started = [];
    private readonly CancellationTokenSource _shutdown = new();
    private readonly PosixSignalRegistration? _sigterm;
    private readonly PosixSignalRegistration? _sigint;
    private readonly PosixSignalRegistration? _sigquit;
    private int _signals;

    public ChildProcessRegistry()
    {
        if (!OperatingSystem.IsWindows())
        {
            _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            _sigquit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, OnSignal);
        }

        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    /// <summary>Cancelled on the first Ctrl-C or SIGTERM; the run unwinds and stops its children.</summary>
    public CancellationToken Shutdown => _shutdown.Token;

    public ChildProcess Add(ChildProcess child)
    {
        lock (_gate)
        {
            _children.Add(child);
            _started.Add(child);
        }

        return child;
    }

    /// <summary>All processes started so far, running or stopped, in start order.</summary>
    public IReadOnlyList<ChildProcess> All()
    {
        lock (_gate)
        {
            return [.. _started];
        }
    }

    public async Task StopAsync(ChildProcess child)
    {
        await child.StopAsync(TimeSpan.FromSeconds(5));
        lock (_gate)
        {
            _children.Remove(child);
        }
    }

    public async Task StopAllAsync()
    {
        ChildProcess[] running;
        lock (_gate)
        {
            running = [.. _children];
        }

        // Newest first: the API before its silos, the gateway before its upstream.
        await Task.WhenAll(running.Reverse().Select(StopAsync));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAllAsync();
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        _sigterm?.Dispose();
        _sigint?.Dispose();
        _sigquit?.Dispose();
        _shutdown.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref _signals) == 1)
        {
            // First signal: let the run unwind through its finally blocks.
            context.Cancel = true;
            Console.Error.WriteLine($"\n{context.Signal}: stopping the bench and its child processes…");
            _shutdown.Cancel();
            return;
        }

        // Second signal: no more waiting.
        KillAll();
    }

    private void OnProcessExit(object? sender, EventArgs e) => KillAll();

    private void KillAll()
    {
        ChildProcess[] running;
        lock (_gate)
        {
            running = [.. _children];
        }

        foreach (var child in running)
        {
            child.Kill();
        }
    }
}
