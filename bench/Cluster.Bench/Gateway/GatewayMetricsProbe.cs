using System.Diagnostics;

namespace Cluster.Bench.Gateway;

/// <summary>
/// Reads the allocation and grain-call counters from a gateway's Prometheus endpoint. The
/// exporter may cache a scrape for a few hundred milliseconds, so scrapes are spaced out.
/// </summary>
internal sealed class GatewayMetricsProbe(HttpClient client, Uri metricsUri)
{
    /// <summary>Metric names that carry .NET's <c>dotnet.gc.heap.total_allocated</c>, newest naming first.</summary>
    private static readonly string[] AllocationNames = ["dotnet_gc_heap_total_allocated", "gc_heap_total_allocated", "gc_allocations_size", "allocated_bytes"];

    private static readonly string[] GrainCallNames = ["cluster_grain_calls_total", "cluster_grain_calls"];

    private static readonly TimeSpan MinimumSpacing = TimeSpan.FromMilliseconds(400);

    private long _lastScrape;

    public string? AllocationMetric { get; private set; }

    public string? GrainCallMetric { get; private set; }

    /// <summary>Bytes the scrape itself allocates, measured at idle and taken off every delta.</summary>
    public double ScrapeAllocationBytes { get; private set; }

    public async Task<MetricsSample?> ScrapeAsync(CancellationToken cancellationToken)
    {
        var since = Stopwatch.GetElapsedTime(_lastScrape);
        if (_lastScrape != 0 && since < MinimumSpacing)
        {
            await Task.Delay(MinimumSpacing - since, cancellationToken);
        }

        try
        {
            using var response = await client.GetAsync(metricsUri, cancellationToken);
            _lastScrape = Stopwatch.GetTimestamp();
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            var text = PrometheusText.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            var allocated = text.Find(AllocationNames);
            var grainCalls = text.Find(GrainCallNames);
            AllocationMetric ??= allocated?.Name;
            GrainCallMetric ??= grainCalls?.Name;
            return new MetricsSample(allocated?.Value, grainCalls?.Value);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Two idle scrapes a few times over: what one scrape allocates in the gateway.</summary>
    public async Task CalibrateAsync(CancellationToken cancellationToken)
    {
        var deltas = new List<double>();
        var previous = await ScrapeAsync(cancellationToken);
        for (var i = 0; i < 3; i++)
        {
            var next = await ScrapeAsync(cancellationToken);
            if (previous?.AllocatedBytes is { } before && next?.AllocatedBytes is { } after)
            {
                deltas.Add(after - before);
            }

            previous = next;
        }

        ScrapeAllocationBytes = deltas.Count == 0 ? 0 : deltas.Order().ElementAt(deltas.Count / 2);
    }
}
