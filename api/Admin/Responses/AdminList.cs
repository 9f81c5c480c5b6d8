using System.Text.Json.Serialization;

namespace Cluster.Api.Admin.Responses;

/// <summary>A list answer: <c>{"object":"list","data":[...]}</c>, and the catalog's version for models.</summary>
internal sealed record AdminList<T>(
    [property: JsonPropertyName("data")] IEnumerable<T> Data)
{
    [JsonPropertyName("object")]
    [JsonPropertyOrder(-2)]
    public string Object => "list";

    /// <summary>The catalog's version (model lists only; left out otherwise).</summary>
    [JsonPropertyName("version")]
    [JsonPropertyOrder(-1)]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Version { get; init; }
}
