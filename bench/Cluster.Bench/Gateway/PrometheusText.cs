using System.Globalization;

namespace Cluster.Bench.Gateway;

/// <summary>The samples of a Prometheus text exposition, summed per metric name (labels dropped).</summary>
internal sealed class PrometheusText
{
    private readonly Dictionary<string, double> _sums;

    private PrometheusText(Dictionary<string, double> sums) => _sums = sums;

    public IReadOnlyCollection<string> Names => _sums.Keys;

    public static PrometheusText Parse(string text)
    {
        var sums = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var nameEnd = line.IndexOfAny(['{', ' ']);
            if (nameEnd <= 0)
            {
                continue;
            }

            var name = line[..nameEnd];
            var rest = line[nameEnd..];
            if (rest[0] == '{')
            {
                var close = rest.LastIndexOf('}');
                if (close < 0)
                {
                    continue;
                }

                rest = rest[(close + 1)..];
            }

            var fields = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 0 && double.TryParse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                sums[name] = sums.GetValueOrDefault(name) + value;
            }
        }

        return new PrometheusText(sums);
    }

    /// <summary>The sum of the first metric name that contains one of <paramref name="fragments"/>, tried in order.</summary>
    public (string Name, double Value)? Find(params string[] fragments)
    {
        foreach (var fragment in fragments)
        {
            foreach (var (name, value) in _sums.OrderBy(pair => pair.Key, StringComparer.Ordinal))
            {
                if (name.Contains(fragment, StringComparison.Ordinal) && !name.EndsWith("_created", StringComparison.Ordinal))
                {
                    return (name, value);
                }
            }
        }

        return null;
    }
}
