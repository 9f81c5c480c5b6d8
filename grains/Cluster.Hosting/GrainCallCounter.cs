using System.Diagnostics.Metrics;

namespace Cluster.Hosting;

/// <summary>
/// Counts the grain calls this process makes (<c>cluster.grain.calls</c>), so the benchmark can
/// report grain calls per request: the hot path's cost in cluster round trips; and, in a silo, the
/// calls its grains handle (<c>cluster.grain.calls.handled</c>): each silo's share of the work.
/// </summary>
public sealed class GrainCallCounter : IOutgoingGrainCallFilter, IIncomingGrainCallFilter
{
    public const string MeterName = "Cluster.Grains";
    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Calls = Meter.CreateCounter<long>("cluster.grain.calls", unit: "{call}", description: "Grain calls made by this process.");

    private static readonly Counter<long> Handled = Meter.CreateCounter<long>("cluster.grain.calls.handled", unit: "{call}", description: "Grain calls handled by this silo's grains.");

    public Task Invoke(IIncomingGrainCallContext context)
    {
        Handled.Add(1);
        return context.Invoke();
    }

    public Task Invoke(IOutgoingGrainCallContext context)
    {
        Calls.Add(1);
        return context.Invoke();
    }
}
