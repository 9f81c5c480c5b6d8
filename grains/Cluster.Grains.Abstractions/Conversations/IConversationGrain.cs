namespace Cluster.Grains.Conversations;

/// <summary>
/// One conversation of the Conversations API (key: its id, <c>conv_</c> and 192 random bits):
/// its metadata and its items in order, durable in grain storage. Responses created with
/// <c>conversation</c> read its items as their context and append their input and output.
/// Every call names the caller's tenant; another tenant's conversation reads as absent (null).
/// Not reentrant: appends from concurrent responses are applied one after the other.
/// </summary>
[Alias("Cluster.IConversationGrain")]
public interface IConversationGrain : IGrainWithStringKey
{
    /// <summary>Creates the conversation with its first items; durable when it returns.</summary>
    [Alias("Create")]
    Task CreateAsync(ConversationInfo conversation, StoredItem[] items);

    [Alias("Get")]
    Task<ConversationInfo?> GetAsync(string tenant);

    /// <summary>Replaces the metadata; the updated conversation, or null when absent.</summary>
    [Alias("Update")]
    Task<ConversationInfo?> UpdateAsync(string tenant, string metadataJson);

    /// <summary>Deletes the conversation and its items from storage; false when absent.</summary>
    [Alias("Delete")]
    Task<bool> DeleteAsync(string tenant);

    /// <summary>Every item in order, or null when the conversation is absent.</summary>
    [Alias("Items")]
    Task<StoredItem[]?> GetItemsAsync(string tenant);

    /// <summary>Appends items at the end; false when the conversation is absent (nothing is appended).</summary>
    [Alias("Append")]
    Task<bool> AppendAsync(string tenant, StoredItem[] items);

    /// <summary>Deletes one item; null when the conversation is absent, false when it has no such item.</summary>
    [Alias("DeleteItem")]
    Task<bool?> DeleteItemAsync(string tenant, string itemId);
}
