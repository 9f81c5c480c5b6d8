using System.Text.Json.Serialization;

namespace Cluster.Api.Admin.Responses;

/// <summary>The answer to a delete: <c>{"id","object","deleted":true}</c>.</summary>
internal sealed record AdminDeletion(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("object")] string Object)
{
    [JsonPropertyName("deleted")]
    public bool Deleted => true;
}
