using System.Text.Json.Serialization;

namespace Cluster.Api.Admin.Responses;

/// <summary>The answer to revoking a key: <c>{"id","object":"api_key","revoked":true}</c>.</summary>
internal sealed record AdminKeyRevocation(
    [property: JsonPropertyName("id")] string Id)
{
    [JsonPropertyName("object")]
    public string Object => "api_key";

    [JsonPropertyName("revoked")]
    public bool Revoked => true;
}
