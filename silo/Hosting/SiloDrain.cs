using System.Diagnostics;
using Orleans.Runtime;

namespace Cluster.Silo.Hosting;

/// <summary>
/// Stops the Orleans silo before the HTTP server, so that while the silo drains (its grains finish
/// their calls, deactivate and persist; it leaves the membership table) the HTTP endpoint still
/// answers, <c>/health/ready</c> with 503. The host stops services in the reverse order of their
/// registration and registers the HTTP server last, so without this the endpoint would vanish
/// first and the silo would drain unobserved. Runs in <see cref="IHostedLifecycleService.StoppingAsync"/>,
/// before any service's stop; Orleans' own stop later finds the silo stopped and returns.
/// </summary>
internal sealed partial class SiloDrain(Orleans.Runtime.Silo silo, ILogger<SiloDrain> logger) : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        // The token is cancelled when Cluster:DrainTimeoutSeconds runs out; Orleans then stops
        // at once instead of gracefully.
        var started = Stopwatch.GetTimestamp();
        LogDraining(logger);
        try
        {
            await silo.StopAsync(cancellationToken);
            LogDrained(logger, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (InvalidOperationException ex)
        {
            // The silo never reached Running (it failed to start): there is nothing to drain.
            LogNotRunning(logger, ex.Message);
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Draining: readiness answers 503; stopping the silo gracefully (grains deactivate, the silo leaves the membership).")]
    private static partial void LogDraining(ILogger logger);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Drained: the silo stopped in {ElapsedMs:F0} ms.")]
    private static partial void LogDrained(ILogger logger, double elapsedMs);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Nothing to drain: {Reason}")]
    private static partial void LogNotRunning(ILogger logger, string reason);
}
