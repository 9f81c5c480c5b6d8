using System.Text.Json.Serialization;

namespace Cluster.Api.Admin.Responses;

/// <summary>A tenant's key as listed: never the secret, only its prefix.</summary>
internal sealed record AdminApiKey(
    [property: JsonPropertyName("id"), JsonPropertyOrder(-2)] string Id,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("prefix")] string Prefix,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("last_used")] long? LastUsed,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("limits")] AdminScopeLimits Limits)
{
    [JsonPropertyName("object")]
    [JsonPropertyOrder(-1)]
    public string Object => "api_key";
}
