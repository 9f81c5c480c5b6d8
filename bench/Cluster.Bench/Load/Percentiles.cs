namespace Cluster.Bench.Load;

/// <summary>Nearest-rank percentiles of one sample, in milliseconds.</summary>
internal sealed record Percentiles(double P50, double P90, double P99, double Max, int Count)
{
    public static Percentiles? FromTicks(List<long> ticks)
    {
        if (ticks.Count == 0)
        {
            return null;
        }

        var sorted = ticks.ToArray();
        Array.Sort(sorted);
        return new Percentiles(At(sorted, 0.50), At(sorted, 0.90), At(sorted, 0.99), ToMs(sorted[^1]), sorted.Length);
    }

    private static double At(long[] sorted, double quantile)
    {
        var rank = (int)Math.Ceiling(quantile * sorted.Length);
        return ToMs(sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)]);
    }

    private static double ToMs(long ticks) => ticks * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
}
