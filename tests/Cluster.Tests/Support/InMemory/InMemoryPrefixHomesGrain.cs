using Cluster.Grains.Routing;

namespace Cluster.Tests.Support.InMemory;

/// <summary>A model's prefix homes for unit tests of the relay: the real grain's table, without a cluster.</summary>
public sealed class InMemoryPrefixHomesGrain(TimeProvider time) : IPrefixHomesGrain
{
    private readonly Lock _lock = new();
    private readonly PrefixHomeTable _table = new(time);

    public Task<string> PlaceAsync(ulong anchor, PrefixHomeCandidates candidates)
    {
        lock (_lock)
        {
            return Task.FromResult(_table.Place(anchor, candidates));
        }
    }

    public Task<PrefixHomeUse[]> ReportAsync(PrefixHomeUse[] uses)
    {
        lock (_lock)
        {
            return Task.FromResult(_table.Record(uses));
        }
    }
}
