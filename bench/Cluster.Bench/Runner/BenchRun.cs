using Cluster.Bench.Processes;
using Cluster.Bench.Reporting;

namespace Cluster.Bench.Runner;

/// <summary>Everything one run measured, as the report needs it.</summary>
internal sealed class BenchRun(BenchSettings settings, MachineInfo machine, string runDirectory)
{
    public BenchSettings Settings { get; } = settings;

    public MachineInfo Machine { get; } = machine;

    public string RunDirectory { get; } = runDirectory;

    public List<BenchTarget> Targets { get; } = [];

    public Dictionary<CellKey, List<CellRound>> Cells { get; } = [];

    public List<OpenLoopSummary> OpenLoop { get; } = [];

    public MemoryCheckResult? Memory { get; set; }

    public string? MemorySkipped { get; set; }

    public AccuracyResult? Accuracy { get; set; }

    /// <summary>One Azure Table write on its own, as the cluster rows reach storage (through the delay proxy if any).</summary>
    public Load.Percentiles? StorageWrite { get; set; }

    /// <summary>Things the reader should know: skipped rows, build output, metric names found.</summary>
    public List<string> Notes { get; } = [];

    public IReadOnlyList<ChildProcess> Processes { get; set; } = [];

    public long? ClientPeakRssBytes { get; set; }

    public string LoadAtStart { get; } = MachineInfo.LoadAverage();

    public string LoadAtEnd { get; set; } = "unknown";

    public TimeSpan WallTime { get; set; }

    public TimeSpan MeasuringTime { get; set; }

    public BenchTarget? Target(string name) => Targets.Find(t => t.Name == name);

    public CellSummary? Summary(string target, bool stream, int concurrency) =>
        Cells.TryGetValue(new CellKey(target, stream, concurrency), out var rounds) && rounds.Count > 0
            ? CellSummary.From(new CellKey(target, stream, concurrency), rounds)
            : null;

    public void Add(CellKey key, CellRound round)
    {
        if (!Cells.TryGetValue(key, out var rounds))
        {
            Cells[key] = rounds = [];
        }

        rounds.Add(round);
    }
}
