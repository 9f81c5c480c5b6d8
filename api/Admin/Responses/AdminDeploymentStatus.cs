using System.Text.Json.Serialization;

namespace Cluster.Api.Admin.Responses;

/// <summary>A deployment's circuit and cluster-wide requests in flight, from its status grain.</summary>
internal sealed record AdminDeploymentStatus(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("provider")] string Provider,
    [property: JsonPropertyName("circuit")] string Circuit,
    [property: JsonPropertyName("cooldown_until")] long? CooldownUntil,
    [property: JsonPropertyName("in_flight")] int InFlight,
    [property: JsonPropertyName("last_failure")] string? LastFailure);
