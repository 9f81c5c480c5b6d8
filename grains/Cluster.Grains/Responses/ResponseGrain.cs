namespace Cluster.Grains.Responses;

/// <summary>
/// One stored response. Expiry is checked on every read: a response past its retention is
/// deleted from storage (not only hidden) the first time anything asks for it, and
/// <see cref="DeleteAsync"/> clears the stored record, so nothing of it stays behind.
/// </summary>
internal sealed class ResponseGrain(
    [PersistentState("response", GrainStorage.Name)] IPersistentState<ResponseGrainState> state,
    TimeProvider time) : Grain, IResponseGrain
{
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

    public Task PrepareAsync() => Task.CompletedTask;

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
        await state.ClearStateAsync();

        // Nothing is left to serve; the next call reads the (absent) record again.
        DeactivateOnIdle();
    }
}
