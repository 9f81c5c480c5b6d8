namespace Cluster.Grains.Conversations;

/// <summary>One conversation and its items, written through to grain storage on every change.</summary>
internal sealed class ConversationGrain(
    [PersistentState("conversation", GrainStorage.Name)] IPersistentState<ConversationGrainState> state) : Grain, IConversationGrain
{
    public async Task CreateAsync(ConversationInfo conversation, StoredItem[] items)
    {
        state.State.Conversation = conversation;
        state.State.Items = [.. items];
        await state.WriteStateAsync();
    }

    public Task<ConversationInfo?> GetAsync(string tenant) => Task.FromResult(Owned(tenant));

    public async Task<ConversationInfo?> UpdateAsync(string tenant, string metadataJson)
    {
        if (Owned(tenant) is not { } conversation)
        {
            return null;
        }

        state.State.Conversation = conversation with { MetadataJson = metadataJson };
        await state.WriteStateAsync();
        return state.State.Conversation;
    }

    public async Task<bool> DeleteAsync(string tenant)
    {
        if (Owned(tenant) is null)
        {
            return false;
        }

        state.State.Conversation = null;
        state.State.Items = [];
        await state.ClearStateAsync();
        DeactivateOnIdle();
        return true;
    }

    public Task<StoredItem[]?> GetItemsAsync(string tenant) =>
        Task.FromResult(Owned(tenant) is null ? null : state.State.Items.ToArray());

    public async Task<bool> AppendAsync(string tenant, StoredItem[] items)
    {
        if (Owned(tenant) is null)
        {
            return false;
        }

        // Items already there (a retried call whose first attempt was stored) are not added twice.
        items = [.. items.Where(i => !state.State.Items.Exists(e => e.Id == i.Id))];
        if (items.Length == 0)
        {
            return true;
        }

        state.State.Items.AddRange(items);
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // Not stored: not appended either, so memory and storage agree.
            state.State.Items.RemoveRange(state.State.Items.Count - items.Length, items.Length);
            throw;
        }

        return true;
    }

    public async Task<bool?> DeleteItemAsync(string tenant, string itemId)
    {
        if (Owned(tenant) is null)
        {
            return null;
        }

        var index = state.State.Items.FindIndex(i => i.Id == itemId);
        if (index < 0)
        {
            return false;
        }

        var removed = state.State.Items[index];
        state.State.Items.RemoveAt(index);
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State.Items.Insert(index, removed);
            throw;
        }

        return true;
    }

    private ConversationInfo? Owned(string tenant) =>
        state.State.Conversation is { } conversation && conversation.Tenant == tenant ? conversation : null;
}
