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
    public async Task<RoundResult> RunOpenLoopAsync(RequestProfile profile, double ratePerSecond, TimeSpan duration, CancellationToken cancellationToken)
    {
        var recorder = new OutcomeRecorder();
        var gate = new Lock();
        var inFlight = 0;
        var dropped = 0;
        var pending = new List<Task>();
        var interval = Stopwatch.Frequency / ratePerSecond;
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        for (long i = 0; ; i++)
        {
            var due = start + (long)(i * interval);
            if (due >= end)
            {
                break;
            }

            var wait = due - Stopwatch.GetTimestamp();
            if (wait > Stopwatch.Frequency / 1000)
            {
                // Timer granularity is about 1 ms; requests that fall due meanwhile go out together,
                // each still timed from its own due time.
                await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), cancellationToken);
            }

            if (Volatile.Read(ref inFlight) >= OpenLoopMaxInFlight)
            {
                dropped++;
                continue;
            }

            Interlocked.Increment(ref inFlight);
            pending.Add(SendOneAsync(due));
        }

        await Task.WhenAll(pending);
        var result = RoundResult.Merge([recorder], Stopwatch.GetTimestamp() - start);
        return dropped == 0 ? result : result with
        {
            Errors = result.Errors + dropped,
            FirstError = result.FirstError ?? $"{dropped} requests not sent: {OpenLoopMaxInFlight} already in flight",
        };

        async Task SendOneAsync(long due)
        {
            await Task.Yield();
            var outcome = await sender.SendAsync(profile, due, cancellationToken);
            Interlocked.Decrement(ref inFlight);
            lock (gate)
            {
                recorder.Add(outcome);
            }
        }
    }
}
