namespace Cluster.Grains.Responses;

/// <summary>
/// One stored response. Expiry is checked on every read: a response past its retention is
/// deleted from storage (not only hidden) the first time anything asks for it, and
/// <see cref="DeleteAsync"/> clears the stored record, so nothing of it stays behind. A new
/// response is written by <see cref="ResponseWriterGrain"/> without activating this grain, so a
/// grain that found no record reads storage again when asked later (it may have been activated,
/// by a client guessing at a streamed id, before the record was written). The first response of a
/// chain also keeps the ids of the chain's responses deleted since (<see cref="NoteDeletedAsync"/>),
/// so a front-end holding the chain's context confirms it with one call.
/// </summary>
internal sealed class ResponseGrain(
    [PersistentState(ResponseGrain.StateName, GrainStorage.Name)] IPersistentState<ResponseGrainState> state,
    TimeProvider time) : Grain, IResponseGrain
{
    public const string StateName = "response";

    // The record was read at activation: absent then, read again on a later call.
    private bool _readAtActivation = true;

    public async Task StoreAsync(StoredResponse response)
    {
        var previous = state.State.Response;
        state.State.Response = response;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // Not stored: not served either, so memory and storage agree.
            state.State.Response = previous;
            throw;
        }
    }

    public async Task<StoredResponse?> GetAsync(string tenant)
    {
        var stored = await CurrentAsync();
        return stored is not null && stored.Tenant == tenant ? stored : null;
    }

    public async Task<bool> ExistsAsync(string tenant) => await GetAsync(tenant) is not null;

    public async Task<int> FirstGoneAsync(string tenant, string[] chain)
    {
        if (await GetAsync(tenant) is null)
        {
            return 0;
        }

        for (var i = 1; i < chain.Length; i++)
        {
            if (state.State.DeletedInChain?.Contains(chain[i]) == true)
            {
                return i;
            }
        }

        return -1;
    }

    public async Task NoteDeletedAsync(string responseId)
    {
        if (await CurrentAsync() is null || state.State.DeletedInChain?.Contains(responseId) == true)
        {
            return;
        }

        (state.State.DeletedInChain ??= new HashSet<string>(StringComparer.Ordinal)).Add(responseId);
        await state.WriteStateAsync();
    }

    public async Task<bool> DeleteAsync(string tenant)
    {
        var stored = await CurrentAsync();
        if (stored is null || stored.Tenant != tenant)
        {
            return false;
        }

        await ClearAsync();
        return true;
    }

    public async Task<bool> ExpireAsync() => await CurrentAsync() is null;

    /// <summary>The stored response unless it expired; an expired one is deleted on the way.</summary>
    private async Task<StoredResponse?> CurrentAsync()
    {
        if (state.State.Response is null && !_readAtActivation)
        {
            await state.ReadStateAsync();
        }

        _readAtActivation = false;
        if (state.State.Response is not { } stored)
        {
            return null;
        }

        if (time.GetUtcNow().ToUnixTimeMilliseconds() < stored.ExpiresAtMs)
        {
            return stored;
        }

        await ClearAsync();
        return null;
    }

    private async Task ClearAsync()
    {
        state.State.Response = null;
        state.State.DeletedInChain = null;
        await state.ClearStateAsync();

        // Nothing is left to serve; the next call reads the (absent) record again.
        DeactivateOnIdle();
    }
}
