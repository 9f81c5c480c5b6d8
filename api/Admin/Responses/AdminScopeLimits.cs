using System.Text.Json.Serialization;

namespace Cluster.Api.Admin.Responses;

/// <summary>The rate limits of one scope (a key, or a model for a tenant).</summary>
internal sealed record AdminScopeLimits(
    [property: JsonPropertyName("rpm")] int? Rpm,
    [property: JsonPropertyName("tpm")] long? Tpm,
    [property: JsonPropertyName("max_concurrency")] int? MaxConcurrency);
