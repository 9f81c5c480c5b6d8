using System.Text.Json.Serialization;

namespace Cluster.Api.Admin.Responses;

/// <summary>A tenant as <c>/admin/tenants</c> shows it: models, limits and quotas, how many keys it has.</summary>
internal sealed record AdminTenant(
    [property: JsonPropertyName("id"), JsonPropertyOrder(-2)] string Id,
    [property: JsonPropertyName("models")] string[] Models,
    [property: JsonPropertyName("limits")] AdminTenantLimits Limits,
    [property: JsonPropertyName("model_limits")] Dictionary<string, AdminScopeLimits> ModelLimits,
    [property: JsonPropertyName("keys")] int Keys,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("created")] long Created)
{
    [JsonPropertyName("object")]
    [JsonPropertyOrder(-1)]
    public string Object => "tenant";
}
