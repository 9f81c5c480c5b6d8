using System.Diagnostics;

namespace Cluster.Bench.Load;

/// <summary>Closed-loop and open-loop (constant-rate) load against one request profile.</summary>
internal sealed class LoadGenerator(RequestSender sender)
{
    /// <summary>An open loop stops scheduling when this many requests are still unanswered.</summary>
    private const int OpenLoopMaxInFlight = 2048;

    public RequestSender Sender => sender;

    /// <summary>
    /// <paramref name="concurrency"/> workers, each sending its next request as soon as the previous
    /// one completes, until <paramref name="duration"/> has passed; requests in flight then finish.
    /// </summary>
    public async Task<RoundResult> RunClosedLoopAsync(RequestProfile profile, int concurrency, TimeSpan duration, CancellationToken cancellationToken)
    {
        var recorders = Enumerable.Range(0, concurrency).Select(_ => new OutcomeRecorder()).ToArray();
        var start = Stopwatch.GetTimestamp();
        var deadline = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = recorders.Select(recorder => Task.Run(
            async () =>
            {
                while (Stopwatch.GetTimestamp() < deadline)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    recorder.Add(await sender.SendAsync(profile, Stopwatch.GetTimestamp(), cancellationToken));
                }
            },
            cancellationToken)).ToArray();
        await Task.WhenAll(workers);
        return RoundResult.Merge(recorders, Stopwatch.GetTimestamp() - start);
    }

    /// <summary>
    /// Requests scheduled every 1/<paramref name="ratePerSecond"/> s whatever the answers do; each
    /// latency counts from the scheduled time, so a slow server's queue shows in the figures.
    /// </summary>
    public async Task<OpenLoopResult> RunOpenLoopAsync(RequestProfile profile, double ratePerSecond, TimeSpan duration, CancellationToken cancellationToken)
    {
        var recorder = new OutcomeRecorder();
        var gate = new Lock();
        var inFlight = 0;
        var dropped = 0;
        var pending = new List<Task>();
        var lags = new List<long>();
        var interval = Stopwatch.Frequency / ratePerSecond;
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);

        // The schedule runs on a thread of its own that sleeps in microseconds: the runtime's
        // timers (Task.Delay) fire in steps of several ms here, which would bunch the requests.
        var scheduled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var scheduler = new Thread(() =>
        {
            try
            {
                for (long i = 0; !cancellationToken.IsCancellationRequested; i++)
                {
                    var due = start + (long)(i * interval);
                    if (due >= end)
                    {
                        break;
                    }

                    WaitUntil(due);
                    lags.Add(Stopwatch.GetTimestamp() - due);
                    if (Volatile.Read(ref inFlight) >= OpenLoopMaxInFlight)
                    {
                        dropped++;
                        continue;
                    }

                    Interlocked.Increment(ref inFlight);
                    pending.Add(SendOneAsync(due));
                }

                scheduled.SetResult();
            }
            catch (Exception ex)
            {
                scheduled.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "open-loop schedule",
            Priority = ThreadPriority.AboveNormal,
        };
        scheduler.Start();
        await scheduled.Task;
        await Task.WhenAll(pending);
        cancellationToken.ThrowIfCancellationRequested();
        var result = RoundResult.Merge([recorder], Stopwatch.GetTimestamp() - start);
        if (dropped > 0)
        {
            result = result with
            {
                Errors = result.Errors + dropped,
                FirstError = result.FirstError ?? $"{dropped} requests not sent: {OpenLoopMaxInFlight} already in flight",
            };
        }

        return new OpenLoopResult(result, Percentiles.FromTicks(lags));

        async Task SendOneAsync(long due)
        {
            // Off the schedule thread at once: it must not wait for the request to be written.
            await Task.Yield();
            var outcome = await sender.SendAsync(profile, due, cancellationToken);
            Interlocked.Decrement(ref inFlight);
            lock (gate)
            {
                recorder.Add(outcome);
            }
        }
    }

    /// <summary>Sleeps until the due time with microsecond resolution (usleep overshoots by ~0.06 ms), never spins.</summary>
    private static void WaitUntil(long due)
    {
        var remaining = due - Stopwatch.GetTimestamp();
        if (remaining > 0)
        {
            PreciseSleep.For(remaining * 1_000_000 / Stopwatch.Frequency);
        }
    }
}
