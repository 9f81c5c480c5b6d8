namespace Cluster.Grains.Responses;

/// <summary>
/// One stored response of the Responses API, as the cluster keeps it. The response object and its
/// input items are kept as the JSON the client saw (items are open-ended, polymorphic JSON: a
/// typed copy would drop what it does not model), so <c>GET</c> answers byte for byte and a
/// follow-up replays exactly what was said.
/// </summary>
/// <param name="Tenant">The tenant that created it; any other tenant is told it does not exist.</param>
/// <param name="ResponseJson">The response object, as returned to the client.</param>
/// <param name="InputItemsJson">A JSON array of this turn's input items, each with its id (not the turns before it).</param>
/// <param name="PreviousResponseId">The response this one continued, if any.</param>
/// <param name="ChainRoot">The first response of the chain (or the conversation id): the session key that keeps the chain on one deployment.</param>
/// <param name="CreatedAtMs">When it was created, Unix milliseconds.</param>
/// <param name="ExpiresAtMs">When it is deleted (<c>Responses:RetentionDays</c> after creation), Unix milliseconds.</param>
[GenerateSerializer, Immutable, Alias("Cluster.StoredResponse")]
public sealed record StoredResponse(
    [property: Id(0)] string Tenant,
    [property: Id(1)] string ResponseJson,
    [property: Id(2)] string InputItemsJson,
    [property: Id(3)] string? PreviousResponseId,
    [property: Id(4)] string ChainRoot,
    [property: Id(5)] long CreatedAtMs,
    [property: Id(6)] long ExpiresAtMs);
