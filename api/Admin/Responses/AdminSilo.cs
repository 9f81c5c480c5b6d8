using System.Text.Json.Serialization;

namespace Cluster.Api.Admin.Responses;

/// <summary>A silo as Orleans membership knows it; times in Unix seconds.</summary>
internal sealed record AdminSilo(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("address")] string Address,
    [property: JsonPropertyName("host")] string Host,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("started")] long Started,
    [property: JsonPropertyName("last_alive")] long LastAlive);
