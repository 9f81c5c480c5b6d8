using System.Text.Json.Serialization;

namespace Cluster.Api.Admin.Responses;

/// <summary>A deployment of a model: where it is, never its key (only whether one is set).</summary>
internal sealed record AdminDeployment(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("provider")] string Provider,
    [property: JsonPropertyName("base_url")] string? BaseUrl,
    [property: JsonPropertyName("upstream_model")] string? UpstreamModel,
    [property: JsonPropertyName("weight")] int Weight,
    [property: JsonPropertyName("rpm")] int? Rpm,
    [property: JsonPropertyName("tpm")] int? Tpm,
    [property: JsonPropertyName("max_concurrency")] int? MaxConcurrency,
    [property: JsonPropertyName("cache_tokens")] int? CacheTokens,
    [property: JsonPropertyName("has_api_key")] bool HasApiKey);
