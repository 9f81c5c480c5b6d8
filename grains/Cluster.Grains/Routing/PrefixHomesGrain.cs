using Cluster.Grains.Placement;

namespace Cluster.Grains.Routing;

/// <summary>
/// A model's prefix homes (<see cref="IPrefixHomesGrain"/>), in memory: after a silo loss a new
/// activation adopts the homes the front-ends report from their cached views, so placement carries on
/// where it was. Not reentrant: each call is a few dictionary operations.
/// </summary>
[HomeSiloPlacement]
internal sealed class PrefixHomesGrain(TimeProvider time) : Grain, IPrefixHomesGrain
{
    private static readonly TimeSpan SweepPeriod = TimeSpan.FromMinutes(1);
    private readonly PrefixHomeTable _table = new(time);
    private long _sweptAt = time.GetTimestamp();

    public Task<string> PlaceAsync(ulong anchor, PrefixHomeCandidates candidates)
    {
        SweepNow();
        return Task.FromResult(_table.Place(anchor, candidates));
    }

    public Task<PrefixHomeUse[]> ReportAsync(PrefixHomeUse[] uses)
    {
        SweepNow();
        return Task.FromResult(_table.Record(uses));
    }

    private void SweepNow()
    {
        var now = time.GetTimestamp();
        if (time.GetElapsedTime(_sweptAt, now) >= SweepPeriod)
        {
            _sweptAt = now;
            _table.Sweep(now);
        }
    }
}
