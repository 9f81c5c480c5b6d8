namespace Cluster.Grains.Responses;

/// <summary>One hour's shard of the retention index.</summary>
internal sealed class ResponseExpiryGrain(
    [PersistentState("expiry", GrainStorage.Name)] IPersistentState<ResponseExpiryState> state) : Grain, IResponseExpiryGrain
{
    public async Task AddAsync(string responseId)
    {
        if (state.State.ResponseIds.Add(responseId))
        {
            await state.WriteStateAsync();
        }
    }

    public async Task<int> SweepAsync()
    {
        var deleted = 0;
        foreach (var id in state.State.ResponseIds)
        {
            // A response deleted by its owner reads as absent: nothing remains of it either.
            if (await GrainFactory.GetGrain<IResponseGrain>(id).ExpireAsync())
            {
                deleted++;
            }
        }

        state.State.ResponseIds.Clear();
        await state.ClearStateAsync();
        DeactivateOnIdle();
        return deleted;
    }
}
