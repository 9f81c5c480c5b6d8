namespace Cluster.Grains.Conversations;

/// <summary>One item of a conversation: its id and the item's JSON as the client sees it (it carries the same id).</summary>
[GenerateSerializer, Immutable, Alias("Cluster.StoredItem")]
public sealed record StoredItem(
    [property: Id(0)] string Id,
    [property: Id(1)] string Json);
