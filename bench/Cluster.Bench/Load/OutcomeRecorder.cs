namespace Cluster.Bench.Load;

/// <summary>Collects outcomes; one per worker so the hot path takes no lock.</summary>
internal sealed class OutcomeRecorder
{
    public List<long> Latencies { get; } = new(4096);

    public List<long> FirstChunks { get; } = [];

    public List<double> ChunkGaps { get; } = [];

    public Dictionary<int, int> Statuses { get; } = [];

    public int Errors { get; private set; }

    public string? FirstError { get; private set; }

    public void Add(RequestOutcome outcome)
    {
        Statuses[outcome.Status] = Statuses.GetValueOrDefault(outcome.Status) + 1;
        if (!outcome.Succeeded)
        {
            Errors++;
            FirstError ??= outcome.Error;
            return;
        }

        Latencies.Add(outcome.LatencyTicks);
        if (outcome.FirstChunkTicks >= 0)
        {
            FirstChunks.Add(outcome.FirstChunkTicks);
        }

        if (!double.IsNaN(outcome.MeanChunkGapTicks))
        {
            ChunkGaps.Add(outcome.MeanChunkGapTicks);
        }
    }
}
