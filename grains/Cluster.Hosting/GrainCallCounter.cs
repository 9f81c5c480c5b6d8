using System.Diagnostics.Metrics;

namespace Cluster.Hosting;

/// <summary>
/// Counts the grain calls this process makes (<c>cluster.grain.calls</c>), so the benchmark can
/// report grain calls per request: the hot path's cost in cluster round trips.
/// </summary>
public sealed class GrainCallCounter : IOutgoingGrainCallFilter
{
    public const string MeterName = "Cluster.Grains";
    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Calls = Meter.CreateCounter<long>("cluster.grain.calls", unit: "{call}", description: "Grain calls made by this process.");

    public Task Invoke(IOutgoingGrainCallContext context)
    {
        Calls.Add(1);
        return context.Invoke();
    }
}
