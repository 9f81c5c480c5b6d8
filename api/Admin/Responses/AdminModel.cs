using System.Text.Json.Serialization;

namespace Cluster.Api.Admin.Responses;

/// <summary>A model as <c>/admin/models</c> shows it: its catalog entry, deployments without their keys.</summary>
internal sealed record AdminModel(
    [property: JsonPropertyName("id"), JsonPropertyOrder(-2)] string Id,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("owned_by")] string OwnedBy,
    [property: JsonPropertyName("aliases")] string[] Aliases,
    [property: JsonPropertyName("routing")] string Routing,
    [property: JsonPropertyName("fallbacks")] string[] Fallbacks,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("price")] AdminModelPrice Price,
    [property: JsonPropertyName("deployments")] IEnumerable<AdminDeployment> Deployments)
{
    [JsonPropertyName("object")]
    [JsonPropertyOrder(-1)]
    public string Object => "model";
}
