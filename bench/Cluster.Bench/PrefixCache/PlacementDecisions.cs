using System.Globalization;
using System.Text.RegularExpressions;

namespace Cluster.Bench.PrefixCache;

/// <summary>
/// How the prefix-aware strategy placed one model's requests, read from the front-ends' Prometheus
/// endpoints (<c>cluster_routing_prefix_placements</c> by <c>decision</c>): on a deployment believed to
/// hold the prefix, on its home, spilled elsewhere by load, or with every deployment over its share.
/// Warm-up included (each placement has its own model, so the counters start at zero).
/// </summary>
internal static partial class PlacementDecisions
{
    public static async Task<string> ReadAsync(HttpClient client, IEnumerable<Uri> metricsUris, string model)
    {
        var counts = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var uri in metricsUris)
        {
            string text;
            try
            {
                text = await client.GetStringAsync(uri);
            }
            catch (HttpRequestException)
            {
                continue;
            }

            foreach (var line in text.Split('\n'))
            {
                if (!line.StartsWith("cluster_routing_prefix_placements", StringComparison.Ordinal) || !line.Contains($"model=\"{model}\"", StringComparison.Ordinal))
                {
                    continue;
                }

                var decision = Decision().Match(line);
                var value = line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0];
                if (decision.Success && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var count))
                {
                    counts[decision.Groups[1].Value] = counts.GetValueOrDefault(decision.Groups[1].Value) + count;
                }
            }
        }

        var total = counts.Values.Sum();
        return total == 0 ? "no placement counters" : string.Join(", ", counts.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key} {c.Value * 100 / total:0.0} %")));
    }

    [GeneratedRegex("decision=\"([a-z]+)\"")]
    private static partial Regex Decision();
}
