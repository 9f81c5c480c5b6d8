using System.Diagnostics;
using System.Globalization;
using Cluster.Bench.Load;
using Cluster.Bench.Reporting;

namespace Cluster.Bench.Runner;

/// <summary>Steady closed-loop load on one gateway while every one of its processes' RSS is sampled.</summary>
internal sealed class MemoryCheck(BenchRun run, LoadGenerator load)
{
    private const int Concurrency = 16;

    public async Task<MemoryCheckResult> RunAsync(BenchTarget target, CancellationToken cancellationToken)
    {
        var settings = run.Settings;
        var traces = target.Processes.Select(p => new MemoryTrace($"{p.Name} (pid {p.Pid})", [])).ToList();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var started = Stopwatch.GetTimestamp();
        var sampler = SampleAsync(stop.Token);
        Progress.Line($"memory check: {target.Name}, c={Concurrency}, {settings.MemoryCheckDuration.TotalSeconds:0} s, RSS every {settings.MemorySampleInterval.TotalSeconds:0} s…");
        RoundResult result;
        try
        {
            result = await load.RunClosedLoopAsync(target.Profile(stream: false), Concurrency, settings.MemoryCheckDuration, cancellationToken);
        }
        finally
        {
            await stop.CancelAsync();
            await sampler;
        }

        Sample();
        foreach (var trace in traces)
        {
            Progress.Line(string.Create(
                CultureInfo.InvariantCulture,
                $"memory check {trace.Process}: first {trace.Samples.FirstOrDefault().RssMiB:0} MiB, last {trace.Samples.LastOrDefault().RssMiB:0} MiB, slope {trace.SlopeMiBPerMinute:0.0} MiB/min"));
        }

        return new MemoryCheckResult(target.Name, Concurrency, result.ElapsedSeconds, result.Throughput, result.Errors, traces);

        async Task SampleAsync(CancellationToken token)
        {
            using var timer = new PeriodicTimer(settings.MemorySampleInterval);
            Sample();
            try
            {
                while (await timer.WaitForNextTickAsync(token))
                {
                    Sample();
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        void Sample()
        {
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            for (var i = 0; i < traces.Count; i++)
            {
                if (target.Processes[i].RssBytes() is { } rss)
                {
                    traces[i].Samples.Add((seconds, rss / 1024.0 / 1024.0));
                }
            }
        }
    }
}
