namespace Cluster.Grains.Responses;

/// <summary>The retention index's root: which hours have buckets, and the sweep of those that are over.</summary>
internal sealed class ResponseRetentionGrain(
    [PersistentState("retention", GrainStorage.Name)] IPersistentState<ResponseRetentionState> state) : Grain, IResponseRetentionGrain
{
    public async Task AddHourAsync(string hour)
    {
        if (state.State.Hours.Add(hour))
        {
            await state.WriteStateAsync();
        }
    }

    public async Task<int> SweepAsync(long nowMs)
    {
        // An hour is over once the hour of "now" sorts after it.
        var current = IResponseExpiryGrain.HourOf(nowMs);
        var deleted = 0;
        foreach (var hour in state.State.Hours.Where(h => string.CompareOrdinal(h, current) < 0).ToList())
        {
            var sweeps = Enumerable.Range(0, IResponseExpiryGrain.Shards)
                .Select(shard => GrainFactory.GetGrain<IResponseExpiryGrain>(IResponseExpiryGrain.KeyOf(hour, shard)).SweepAsync());
            deleted += (await Task.WhenAll(sweeps)).Sum();
            state.State.Hours.Remove(hour);
            await state.WriteStateAsync();
        }

        return deleted;
    }
}
