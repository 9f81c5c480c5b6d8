using System.Globalization;

namespace Cluster.Tests.Support;

/// <summary>Reads a counter from a process's Prometheus <c>/metrics</c> text: the sum of every series of one metric.</summary>
public static class PrometheusScrape
{
    public static async Task<double> SumAsync(HttpClient http, string metricsUrl, string metric, CancellationToken cancellationToken = default)
    {
        var text = await http.GetStringAsync(metricsUrl, cancellationToken);
        var sum = 0.0;
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(metric, StringComparison.Ordinal) || line.Length == metric.Length || (line[metric.Length] != ' ' && line[metric.Length] != '{'))
            {
                continue;
            }

            // "name{labels} value [timestamp]": the value follows the labels.
            var afterLabels = line[metric.Length] == '{' ? line.IndexOf('}', StringComparison.Ordinal) + 1 : metric.Length;
            var fields = line[afterLabels..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            sum += double.Parse(fields[0], CultureInfo.InvariantCulture);
        }

        return sum;
    }
}
