namespace Cluster.Bench.Runner;

/// <summary>Median of the values that are present; null when none is.</summary>
internal static class Median
{
    public static double? Of(IEnumerable<double?> values)
    {
        var sorted = values.Where(v => v is { } x && !double.IsNaN(x)).Select(v => v!.Value).Order().ToArray();
        if (sorted.Length == 0)
        {
            return null;
        }

        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
