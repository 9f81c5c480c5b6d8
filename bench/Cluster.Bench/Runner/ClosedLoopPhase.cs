using System.Globalization;
using Cluster.Bench.Load;
using Cluster.Bench.Upstream;
using Cluster.Bench.Reporting;

namespace Cluster.Bench.Runner;

/// <summary>
/// The closed-loop matrix: for each round, each load level, each target in turn (A,B,C,A,B,C…),
/// so that drift on a shared machine hits every target alike; figures are medians over rounds.
/// </summary>
internal sealed class ClosedLoopPhase(BenchRun run, LoadGenerator load, FakeUpstreamClient upstream)
{
    private const int WarmupConcurrency = 16;

    public async Task WarmUpAsync(IReadOnlyList<BenchTarget> targets, CancellationToken cancellationToken)
    {
        Progress.Line($"warming up each target, c={WarmupConcurrency}, {run.Settings.WarmupDuration.TotalSeconds:0.#} s non-streamed and streamed…");
        foreach (var target in targets)
        {
            foreach (var stream in new[] { false, true })
            {
                var result = await load.RunClosedLoopAsync(target.Profile(stream), WarmupConcurrency, run.Settings.WarmupDuration, cancellationToken);
                if (result.Errors > 0)
                {
                    Progress.Line($"warm-up {target.Name} {(stream ? "streamed" : "non-streamed")}: {result.Errors} errors, first: {result.FirstError}");
                }
            }
        }
    }

    public async Task RunAsync(IReadOnlyList<BenchTarget> targets, CancellationToken cancellationToken)
    {
        var settings = run.Settings;
        for (var round = 1; round <= settings.Rounds; round++)
        {
            foreach (var stream in new[] { false, true })
            {
                foreach (var concurrency in stream ? settings.StreamConcurrencies : settings.Concurrencies)
                {
                    foreach (var target in targets)
                    {
                        var key = new CellKey(target.Name, stream, concurrency);
                        var cell = await MeasureAsync(target, key, cancellationToken);
                        run.Add(key, cell);
                        Progress.Line(Describe(round, key, cell));
                    }
                }
            }
        }
    }

    private async Task<CellRound> MeasureAsync(BenchTarget target, CellKey key, CancellationToken cancellationToken)
    {
        var metricsBefore = target.Metrics is null ? null : await target.Metrics.ScrapeAsync(cancellationToken);
        var upstreamBefore = await upstream.GetStatsAsync(cancellationToken);
        var result = await load.RunClosedLoopAsync(target.Profile(key.Stream), key.Concurrency, run.Settings.RoundDuration, cancellationToken);
        var upstreamAfter = await upstream.GetStatsAsync(cancellationToken);
        var metricsAfter = target.Metrics is null ? null : await target.Metrics.ScrapeAsync(cancellationToken);

        var requests = Math.Max(result.Total, 1);
        double? allocated = null;
        double? grainCalls = null;
        if (metricsBefore?.AllocatedBytes is { } a0 && metricsAfter?.AllocatedBytes is { } a1)
        {
            allocated = Math.Max(0, a1 - a0 - target.Metrics!.ScrapeAllocationBytes) / requests;
        }

        if (metricsBefore?.GrainCalls is { } g0 && metricsAfter?.GrainCalls is { } g1)
        {
            grainCalls = (g1 - g0) / requests;
        }

        var upstreamCalls = (double)(upstreamAfter.ChatCompletions - upstreamBefore.ChatCompletions) / requests;
        return new CellRound(result, allocated, grainCalls, upstreamCalls);
    }

    private static string Describe(int round, CellKey key, CellRound cell)
    {
        var r = cell.Result;
        var latency = r.Latency is { } l ? string.Create(CultureInfo.InvariantCulture, $"p50 {l.P50,7:0.00} ms  p99 {l.P99,7:0.00} ms") : "no successful request";
        var ttft = r.FirstChunk is { } f ? string.Create(CultureInfo.InvariantCulture, $"  TTFT p50 {f.P50:0.00} ms") : string.Empty;
        var errors = r.Errors > 0 ? $"  errors {r.Errors} ({r.FirstError})" : string.Empty;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"round {round} {(key.Stream ? "stream" : "plain "),-6} c={key.Concurrency,-3} {key.Target,-15} {r.Throughput,8:0} req/s  {latency}{ttft}{errors}");
    }
}
