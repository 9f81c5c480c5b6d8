namespace Cluster.Grains.Responses;

/// <summary>The retention index's root: which hours have buckets (shards, and writers' own), and the sweep of those that are over.</summary>
internal sealed class ResponseRetentionGrain(
    [PersistentState("retention", GrainStorage.Name)] IPersistentState<ResponseRetentionState> state) : Grain, IResponseRetentionGrain
{
    public async Task AddHourAsync(string hour)
    {
        if (state.State.Hours.Add(hour))
        {
            await WriteOrUndoAsync(() => state.State.Hours.Remove(hour));
        }
    }

    public async Task AddBucketAsync(string hour, string bucket)
    {
        var newHour = state.State.Hours.Add(hour);
        if (!state.State.Buckets.TryGetValue(hour, out var buckets))
        {
            state.State.Buckets[hour] = buckets = new HashSet<string>(StringComparer.Ordinal);
        }

        if (buckets.Add(bucket) || newHour)
        {
            await WriteOrUndoAsync(() =>
            {
                buckets.Remove(bucket);
                if (newHour)
                {
                    state.State.Hours.Remove(hour);
                    state.State.Buckets.Remove(hour);
                }
            });
        }
    }

    public async Task<int> SweepAsync(long nowMs)
    {
        // An hour is over once the hour of "now" sorts after it.
        var current = IResponseExpiryGrain.HourOf(nowMs);
        var deleted = 0;
        foreach (var hour in state.State.Hours.Where(h => string.CompareOrdinal(h, current) < 0).ToList())
        {
            var keys = Enumerable.Range(0, IResponseExpiryGrain.Shards).Select(shard => IResponseExpiryGrain.KeyOf(hour, shard))
                .Concat(state.State.Buckets.GetValueOrDefault(hour) ?? []);
            deleted += (await Task.WhenAll(keys.Select(key => GrainFactory.GetGrain<IResponseExpiryGrain>(key).SweepAsync()))).Sum();
            state.State.Hours.Remove(hour);
            state.State.Buckets.Remove(hour);
            await state.WriteStateAsync();
        }

        return deleted;
    }

    /// <summary>Writes the state; a write that fails takes its change back, so what is noted is what is stored (and a retry writes it).</summary>
    private async Task WriteOrUndoAsync(Action undo)
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            undo();
            throw;
        }
    }
}
