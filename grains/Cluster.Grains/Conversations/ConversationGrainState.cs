using Cluster.Grains.Conversations;

namespace Cluster.Grains.Conversations;

/// <summary>A conversation's durable state: null until created and after deletion.</summary>
[GenerateSerializer, Alias("Cluster.ConversationGrainState")]
public sealed class ConversationGrainState
{
    [Id(0)] public ConversationInfo? Conversation { get; set; }

    [Id(1)] public List<StoredItem> Items { get; set; } = [];
}
