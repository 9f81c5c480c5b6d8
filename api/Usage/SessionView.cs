using System.Text.Json.Serialization;

namespace Cluster.Api.Usage;

/// <summary>A session as <c>GET /sessions/{id}</c> and <c>/admin/sessions/{id}</c> show it: its pins and usage.</summary>
internal sealed record SessionView(
    [property: JsonPropertyName("id"), JsonPropertyOrder(-2)] string Id,
    [property: JsonPropertyName("tenant")] string Tenant,
    [property: JsonPropertyName("pins")] Dictionary<string, string> Pins,
    [property: JsonPropertyName("repins")] int Repins,
    [property: JsonPropertyName("requests")] long Requests,
    [property: JsonPropertyName("prompt_tokens")] long PromptTokens,
    [property: JsonPropertyName("completion_tokens")] long CompletionTokens,
    [property: JsonPropertyName("last_seen")] long? LastSeen)
{
    [JsonPropertyName("object")]
    [JsonPropertyOrder(-1)]
    public string Object => "session";
}
