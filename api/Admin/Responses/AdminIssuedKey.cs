using System.Text.Json.Serialization;

namespace Cluster.Api.Admin.Responses;

/// <summary>A key just issued: the one answer that carries its secret.</summary>
internal sealed record AdminIssuedKey(
    [property: JsonPropertyName("id"), JsonPropertyOrder(-2)] string Id,
    [property: JsonPropertyName("tenant")] string Tenant,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("prefix")] string Prefix,
    [property: JsonPropertyName("created")] long Created)
{
    [JsonPropertyName("object")]
    [JsonPropertyOrder(-1)]
    public string Object => "api_key";
}
