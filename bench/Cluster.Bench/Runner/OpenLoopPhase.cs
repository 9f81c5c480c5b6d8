using System.Globalization;
using Cluster.Bench.Load;
using Cluster.Bench.Reporting;

namespace Cluster.Bench.Runner;

/// <summary>Constant-rate load at the same rate on every target, rounds interleaved.</summary>
internal sealed class OpenLoopPhase(BenchRun run, LoadGenerator load)
{
    private const int ReferenceConcurrency = 16;

    public async Task RunAsync(IReadOnlyList<BenchTarget> targets, CancellationToken cancellationToken)
    {
        var settings = run.Settings;
        var rate = settings.OpenLoopRate > 0 ? settings.OpenLoopRate : AutomaticRate(targets);
        if (rate <= 0)
        {
            run.Notes.Add("open loop skipped: no closed-loop throughput to choose a rate from (give --rate)");
            return;
        }

        var results = targets.ToDictionary(t => t.Name, _ => new List<OpenLoopResult>());
        for (var round = 1; round <= settings.OpenLoopRounds; round++)
        {
            foreach (var target in targets)
            {
                var open = await load.RunOpenLoopAsync(target.Profile(stream: false), rate, settings.OpenLoopDuration, cancellationToken);
                results[target.Name].Add(open);
                var result = open.Result;
                Progress.Line(string.Create(
                    CultureInfo.InvariantCulture,
                    $"open loop round {round} {target.Name,-15} rate {rate:0}/s achieved {result.Throughput:0}/s  p50 {result.Latency?.P50:0.00} ms  p99 {result.Latency?.P99:0.00} ms  errors {result.Errors}  send lag p99 {open.SendLag?.P99:0.00} ms"));
            }
        }

        foreach (var target in targets)
        {
            var rounds = results[target.Name].Select(r => r.Result).ToList();
            run.OpenLoop.Add(new OpenLoopSummary(
                target.Name,
                rate,
                rounds.Count,
                Median.Of(rounds.Select(r => (double?)r.Throughput)) ?? 0,
                Median.Of(rounds.Select(r => r.Latency?.P50)),
                Median.Of(rounds.Select(r => r.Latency?.P90)),
                Median.Of(rounds.Select(r => r.Latency?.P99)),
                rounds.Sum(r => r.Total),
                rounds.Sum(r => r.Errors),
                rounds.Select(r => r.FirstError).FirstOrDefault(e => e is not null),
                Median.Of(results[target.Name].Select(r => r.SendLag?.P99))));
        }
    }

    /// <summary>Half of the slowest target's closed-loop throughput, so every target can keep up.</summary>
    private double AutomaticRate(IReadOnlyList<BenchTarget> targets)
    {
        var concurrency = run.Settings.Concurrencies.Contains(ReferenceConcurrency) ? ReferenceConcurrency : run.Settings.Concurrencies.Max();
        var throughputs = targets
            .Select(t => run.Summary(t.Name, false, concurrency)?.Throughput)
            .Where(t => t is > 0)
            .Select(t => t!.Value)
            .ToList();
        return throughputs.Count == 0 ? 0 : Math.Floor(throughputs.Min() / 2);
    }
}
