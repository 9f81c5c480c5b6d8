using System.Globalization;
using System.Text;
using Cluster.Bench.Runner;
using static Cluster.Bench.Reporting.Format;

namespace Cluster.Bench.Reporting;

/// <summary>Renders a run as Markdown: machine and settings, headline, one table per load kind, processes.</summary>
internal static class MarkdownReport
{
    private const string Baseline = "direct";

    public static string Render(BenchRun run)
    {
        var s = run.Settings;
        var m = run.Machine;
        var md = new StringBuilder();
        md.AppendLine("# Cluster bench: gateway overhead, streaming, admission").AppendLine();
        md.AppendLine(Invariant($"{m.Date:yyyy-MM-dd HH:mm} UTC · commit `{m.Commit}` · {s.Mode} mode · wall time {run.WallTime.TotalSeconds:0} s (measuring {run.MeasuringTime.TotalSeconds:0} s)")).AppendLine();
        md.AppendLine("Figures are medians over interleaved rounds (A,B,C,A,B,C…) on one shared machine: read them as ratios and differences between rows, not as absolute capacity. Column meanings: `bench/README.md`.").AppendLine();

        md.AppendLine("## Machine and settings").AppendLine();
        md.AppendLine("| | |").AppendLine("|---|---|");
        md.AppendLine(Invariant($"| CPU | {m.CpuModel}, {m.Cores} cores |"));
        md.AppendLine(Invariant($"| memory | {m.MemoryGiB:0.0} GiB |"));
        md.AppendLine(Invariant($"| OS, runtime | {m.Os}, {m.Runtime} |"));
        var busy = double.TryParse(run.LoadAtStart.Split(' ')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var load1) && load1 > m.Cores
            ? " — **the machine was busy with other work when the run started: absolute figures are depressed, compare rows only**"
            : string.Empty;
        md.AppendLine($"| load average (1/5/15 min) | at start {run.LoadAtStart}; at end {run.LoadAtEnd}{busy} |");
        if (s.LoadRounds)
        {
            md.AppendLine(Invariant($"| closed loop | {s.Rounds} rounds × {s.RoundDuration.TotalSeconds:0.#} s per cell, warm-up {s.WarmupDuration.TotalSeconds:0.#} s per target and kind, c=16 |"));
            md.AppendLine(Invariant($"| concurrency | non-streamed {string.Join(", ", s.Concurrencies)}; streamed {string.Join(", ", s.StreamConcurrencies)} |"));
        }

        md.AppendLine(Invariant($"| fake upstream | ~1.4 KB chat.completion, delay {s.UpstreamDelayMs} ms; streams of {s.StreamChunks} chunks {s.ChunkIntervalMs} ms apart, usage chunk, `[DONE]` |"));
        md.AppendLine("| request | `POST /v1/chat/completions`, model `bench-model`, 2 short messages; streamed with `stream_options.include_usage` |");
        if (s.OpenLoop)
        {
            md.AppendLine(Invariant($"| open loop | {s.OpenLoopRounds} rounds × {s.OpenLoopDuration.TotalSeconds:0} s per target, non-streamed |"));
        }

        if (s.MemoryCheck)
        {
            md.AppendLine(Invariant($"| memory check | {s.MemoryCheckDuration.TotalSeconds:0} s at c=16, RSS every {s.MemorySampleInterval.TotalSeconds:0} s |"));
        }

        md.AppendLine("| gateway logging | `Logging:LogLevel:Default=Warning` in the generated config |");
        md.AppendLine();

        if (s.LoadRounds)
        {
            AppendTargets(md, run);
            AppendHeadline(md, run);
            AppendAccountingCost(md, run);
            AppendPlain(md, run);
            AppendStreamed(md, run);
        }

        AppendOpenLoop(md, run);
        AppendMemory(md, run);
        AppendAccuracy(md, run);
        AppendProcesses(md, run);
        AppendNotes(md, run);
        return md.ToString();
    }

    private static void AppendTargets(StringBuilder md, BenchRun run)
    {
        md.AppendLine("## Targets").AppendLine();
        md.AppendLine("| target | path | status |").AppendLine("|---|---|---|");
        foreach (var target in run.Targets)
        {
            var status = target.Failure is not null ? Cell(target.Failure)
                : target.Notes.Count == 0 ? "measured"
                : "measured; " + Cell(string.Join("; ", target.Notes));
            md.AppendLine($"| {target.Name} | {Cell(target.Description)} | {status} |");
        }

        md.AppendLine();
    }

    private static void AppendHeadline(StringBuilder md, BenchRun run)
    {
        var others = run.Targets.Where(t => t.Name != Baseline && t.Failure is null).Select(t => t.Name).ToList();
        if (others.Count == 0)
        {
            return;
        }

        var low = run.Settings.Concurrencies.Min();
        var high = run.Settings.Concurrencies.Max();
        var streamLow = run.Settings.StreamConcurrencies.DefaultIfEmpty(1).Min();
        md.AppendLine("## Headline").AppendLine();
        md.AppendLine(Invariant($"| | {string.Join(" | ", others)} |"));
        md.AppendLine("|---|" + string.Concat(others.Select(_ => "---:|")));
        Row($"added p50 latency, c={low} (ms)", t => Added(Diff(run, t, false, low, c => c.P50)));
        Row($"added p99 latency, c={low} (ms)", t => Added(Diff(run, t, false, low, c => c.P99)));
        Row($"throughput vs direct, c={high}", t => Ratio(ThroughputRatio(run, t, false, high)));
        Row($"added TTFT p50, streamed c={streamLow} (ms)", t => Added(Diff(run, t, true, streamLow, c => c.FirstChunkP50)));
        Row($"added inter-chunk gap, streamed c={streamLow} (ms)", t => Added(Diff(run, t, true, streamLow, c => c.ChunkGapMs)));
        Row($"allocated per request, c={high}", t => Bytes(run.Summary(t, false, high)?.AllocatedBytesPerRequest));
        Row($"grain calls per request, c={high}", t => Count(run.Summary(t, false, high)?.GrainCallsPerRequest));
        md.AppendLine();

        void Row(string label, Func<string, string> value) =>
            md.AppendLine($"| {label} | {string.Join(" | ", others.Select(value))} |");
    }

    /// <summary>
    /// What the guarantees cost, as throughput ratios between rows of this run (each pair measured in
    /// the same rounds), and the cluster ledger's added latency beside one storage write on its own.
    /// </summary>
    private static void AppendAccountingCost(StringBuilder md, BenchRun run)
    {
        (string Label, string Numerator, string Denominator)[] pairs =
        [
            ("gateway ÷ yarp", "gateway", "yarp"),
            ("gateway+limits ÷ gateway", "gateway+limits", "gateway"),
            ("cluster+ledger ÷ cluster", "cluster+ledger", "cluster"),
            ("cluster+limits ÷ cluster", "cluster+limits", "cluster"),
        ];
        var measured = pairs.Where(p => run.Target(p.Numerator) is { Failure: null } && run.Target(p.Denominator) is { Failure: null }).ToList();
        if (measured.Count == 0)
        {
            return;
        }

        var levels = run.Settings.Concurrencies;
        md.AppendLine("## Accounting cost (throughput ratios in this run)").AppendLine();
        md.AppendLine($"| | {string.Join(" | ", levels.Select(c => Invariant($"c={c}")))} |");
        md.AppendLine("|---|" + string.Concat(levels.Select(_ => "---:|")));
        foreach (var (label, numerator, denominator) in measured)
        {
            md.AppendLine($"| {label} | {string.Join(" | ", levels.Select(c => Ratio(Divide(run.Summary(numerator, false, c)?.Throughput, run.Summary(denominator, false, c)?.Throughput))))} |");
        }

        md.AppendLine();
        if (run.StorageWrite is { } write)
        {
            var low = levels.Min();
            var added = Diff(run, "cluster+ledger", false, low, c => c.P50);
            md.AppendLine(Invariant($"One Azure Table write on its own (sequential upserts of a ~300 B entity from the bench, as the silos reach storage): p50 {write.P50:0.00} ms, p99 {write.P99:0.00} ms.")
                + (added is { } a ? Invariant($" cluster+ledger adds {a:0.00} ms at p50, c={low}: {a / write.P50:0.00}× one write.") : ""));
            md.AppendLine();
        }

        static double? Divide(double? a, double? b) => a is { } x && b is { } y && y > 0 ? x / y : null;
    }

    private static void AppendPlain(StringBuilder md, BenchRun run)
    {
        md.AppendLine("## Non-streamed, closed loop").AppendLine();
        md.AppendLine("| target | c | req/s | × direct | p50 ms | p90 ms | p99 ms | +p50 ms | +p99 ms | errors | alloc/req | grain calls/req | upstream calls/req |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var c in run.Settings.Concurrencies)
        {
            foreach (var target in run.Targets.Where(t => t.Failure is null))
            {
                if (run.Summary(target.Name, false, c) is not { } cell)
                {
                    continue;
                }

                var isBaseline = target.Name == Baseline;
                md.AppendLine(string.Join(" | ", [
                    "| " + target.Name,
                    c.ToString(CultureInfo.InvariantCulture),
                    Rate(cell.Throughput),
                    isBaseline ? None : Ratio(ThroughputRatio(run, target.Name, false, c)),
                    Ms(cell.P50), Ms(cell.P90), Ms(cell.P99),
                    isBaseline ? None : Added(Diff(run, target.Name, false, c, x => x.P50)),
                    isBaseline ? None : Added(Diff(run, target.Name, false, c, x => x.P99)),
                    Errors(cell),
                    target.Metrics is null ? None : Bytes(cell.AllocatedBytesPerRequest),
                    target.Metrics is null ? None : Count(cell.GrainCallsPerRequest),
                    Count(cell.UpstreamCallsPerRequest) + " |",
                ]));
            }
        }

        md.AppendLine();
    }

    private static void AppendStreamed(StringBuilder md, BenchRun run)
    {
        var s = run.Settings;
        if (s.StreamConcurrencies.Length == 0)
        {
            return;
        }

        md.AppendLine(Invariant($"## Streamed, closed loop ({s.StreamChunks} chunks, {s.ChunkIntervalMs} ms apart at the upstream)")).AppendLine();
        md.AppendLine("| target | c | streams/s | × direct | TTFT p50 ms | TTFT p99 ms | +TTFT p50 | +TTFT p99 | chunk gap ms | +gap ms | total p50 ms | total p99 ms | errors | alloc/req | grain calls/req |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var c in s.StreamConcurrencies)
        {
            foreach (var target in run.Targets.Where(t => t.Failure is null))
            {
                if (run.Summary(target.Name, true, c) is not { } cell)
                {
                    continue;
                }

                var isBaseline = target.Name == Baseline;
                md.AppendLine(string.Join(" | ", [
                    "| " + target.Name,
                    c.ToString(CultureInfo.InvariantCulture),
                    Rate(cell.Throughput),
                    isBaseline ? None : Ratio(ThroughputRatio(run, target.Name, true, c)),
                    Ms(cell.FirstChunkP50), Ms(cell.FirstChunkP99),
                    isBaseline ? None : Added(Diff(run, target.Name, true, c, x => x.FirstChunkP50)),
                    isBaseline ? None : Added(Diff(run, target.Name, true, c, x => x.FirstChunkP99)),
                    Ms(cell.ChunkGapMs),
                    isBaseline ? None : Added(Diff(run, target.Name, true, c, x => x.ChunkGapMs)),
                    Ms(cell.P50), Ms(cell.P99),
                    Errors(cell),
                    target.Metrics is null ? None : Bytes(cell.AllocatedBytesPerRequest),
                    (target.Metrics is null ? None : Count(cell.GrainCallsPerRequest)) + " |",
                ]));
            }
        }

        md.AppendLine();
    }

    private static void AppendOpenLoop(StringBuilder md, BenchRun run)
    {
        if (run.OpenLoop.Count == 0)
        {
            return;
        }

        var direct = run.OpenLoop.Find(o => o.Target == Baseline);
        md.AppendLine(Invariant($"## Open loop, constant rate {run.OpenLoop[0].Rate:0} req/s (latency from the scheduled send time)")).AppendLine();
        md.AppendLine("| target | achieved req/s | p50 ms | p90 ms | p99 ms | +p50 ms | +p99 ms | errors | send lag p99 ms |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var o in run.OpenLoop)
        {
            var isBaseline = o.Target == Baseline;
            md.AppendLine(string.Join(" | ", [
                "| " + o.Target,
                Rate(o.Achieved),
                Ms(o.P50), Ms(o.P90), Ms(o.P99),
                isBaseline ? None : Added(o.P50 - direct?.P50),
                isBaseline ? None : Added(o.P99 - direct?.P99),
                o.Errors == 0 ? "0" : Invariant($"{o.Errors}/{o.Requests}: {Cell(o.FirstError)}"),
                Ms(o.SendLagP99) + " |",
            ]));
        }

        md.AppendLine();
    }

    private static void AppendMemory(StringBuilder md, BenchRun run)
    {
        if (run.Memory is null && run.MemorySkipped is null)
        {
            return;
        }

        md.AppendLine("## Memory flatness").AppendLine();
        if (run.Memory is not { } memory)
        {
            md.AppendLine($"Skipped: {run.MemorySkipped}.").AppendLine();
            return;
        }

        md.AppendLine(Invariant($"{memory.Target} under closed-loop load at c={memory.Concurrency} for {memory.DurationSeconds:0} s: {memory.Throughput:#,0} req/s, {memory.Errors} errors.")).AppendLine();
        md.AppendLine("| process | RSS at 5 s MiB | at 60 s MiB | last MiB | max MiB | slope after 20 s (MiB/min) | samples (MiB) |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---|");
        foreach (var trace in memory.Traces)
        {
            var samples = trace.Samples;
            double? At(double seconds) => samples.Count == 0 ? null : samples.MinBy(p => Math.Abs(p.Seconds - seconds)).RssMiB;
            md.AppendLine(Invariant(
                $"| {trace.Process} | {At(5):0} | {At(60):0} | {samples.LastOrDefault().RssMiB:0} | {(samples.Count == 0 ? 0 : samples.Max(p => p.RssMiB)):0} | {trace.SlopeMiBPerMinute:+0.0;−0.0;0.0} | {string.Join(' ', samples.Select(p => p.RssMiB.ToString("0", CultureInfo.InvariantCulture)))} |"));
        }

        md.AppendLine();
    }

    private static void AppendAccuracy(StringBuilder md, BenchRun run)
    {
        if (run.Accuracy is not { } accuracy)
        {
            return;
        }

        md.AppendLine(Invariant($"## Rate-limit accuracy (tenant Rpm {accuracy.Limit}, {AccuracyCheck.BurstSize} concurrent requests per burst)")).AppendLine();
        var exact = accuracy.Bursts.Count == 2 && accuracy.Bursts.All(b => b.Admitted == accuracy.Limit && b.OtherErrors == 0);
        md.AppendLine(exact
            ? "**PASS**: exactly the limit was admitted in each window."
            : $"**FAIL**: {Cell(accuracy.Failure ?? "admitted ≠ limit in a window")}").AppendLine();

        if (accuracy.Bursts.Count == 0)
        {
            return;
        }

        md.AppendLine("| burst | started at s | all answered in s | admitted (at upstream) | admitted / limit | 200 | 429 | other | Retry-After on every 429 | max Retry-After s | x-ratelimit-reset-requests |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---|");
        foreach (var b in accuracy.Bursts)
        {
            md.AppendLine(Invariant(
                $"| {b.Label} | {b.WaitedBeforeSeconds:0} | {b.DurationSeconds:0.0} | {b.Admitted} | **{(double)b.Admitted / accuracy.Limit:0.00}** | {b.Ok} | {b.Rejected} | {(b.OtherErrors == 0 ? "0" : $"{b.OtherErrors}: {Cell(b.OtherError)}")} | {(b.Rejected == 0 ? None : b.RetryAfterOnEvery429 ? "yes" : "no")} | {(b.RetryAfterSeconds is { } r ? r.ToString("0.#", CultureInfo.InvariantCulture) : None)} | {Cell(b.ResetRequests)} |"));
        }

        md.AppendLine();
    }

    private static void AppendProcesses(StringBuilder md, BenchRun run)
    {
        md.AppendLine("## Processes (peak RSS, VmHWM)").AppendLine();
        md.AppendLine("| process | role | peak RSS MiB |").AppendLine("|---|---|---:|");
        foreach (var p in run.Processes)
        {
            md.AppendLine($"| {p.Name} | {p.Role} | {MiB(p.PeakRssBytes())} |");
        }

        md.AppendLine($"| bench (this process) | load generator | {MiB(run.ClientPeakRssBytes)} |");
        md.AppendLine();
    }

    private static void AppendNotes(StringBuilder md, BenchRun run)
    {
        var notes = new List<string>(run.Notes);
        foreach (var (key, rounds) in run.Cells.OrderBy(c => c.Key.Target, StringComparer.Ordinal))
        {
            var summary = CellSummary.From(key, rounds);
            if (summary.Errors > 0)
            {
                notes.Add(Invariant($"{key.Target} {(key.Stream ? "streamed" : "non-streamed")} c={key.Concurrency}: {summary.Errors} of {summary.Requests} requests failed; first: {Cell(summary.FirstError)}"));
            }
        }

        if (notes.Count == 0)
        {
            return;
        }

        md.AppendLine("## Notes").AppendLine();
        foreach (var note in notes)
        {
            md.AppendLine("- " + note.ReplaceLineEndings(" "));
        }

        md.AppendLine();
    }

    private static string Errors(CellSummary cell) => cell.Errors == 0
        ? "0"
        : Invariant($"{cell.Errors}/{cell.Requests}");

    private static double? Diff(BenchRun run, string target, bool stream, int c, Func<CellSummary, double?> figure)
    {
        var mine = run.Summary(target, stream, c);
        var direct = run.Summary(Baseline, stream, c);
        return mine is null || direct is null ? null : figure(mine) - figure(direct);
    }

    private static double? ThroughputRatio(BenchRun run, string target, bool stream, int c)
    {
        var mine = run.Summary(target, stream, c);
        var direct = run.Summary(Baseline, stream, c);
        return mine is null || direct is null || direct.Throughput == 0 ? null : mine.Throughput / direct.Throughput;
    }
}
