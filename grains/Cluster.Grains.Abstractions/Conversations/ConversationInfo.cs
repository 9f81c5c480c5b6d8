namespace Cluster.Grains.Conversations;

/// <summary>A conversation without its items: what <c>GET /conversations/{id}</c> shows.</summary>
/// <param name="Tenant">The tenant that created it.</param>
/// <param name="CreatedAt">When it was created, Unix seconds.</param>
/// <param name="MetadataJson">The metadata object as JSON (<c>{}</c> when none).</param>
[GenerateSerializer, Immutable, Alias("Cluster.ConversationInfo")]
public sealed record ConversationInfo(
    [property: Id(0)] string Tenant,
    [property: Id(1)] long CreatedAt,
    [property: Id(2)] string MetadataJson);
