using System.Text.Json.Serialization;

namespace Cluster.Api.Admin.Responses;

/// <summary><c>GET /admin/cluster</c>: the silos, and every deployment with its circuit.</summary>
internal sealed record AdminCluster(
    [property: JsonPropertyName("silos")] IEnumerable<AdminSilo> Silos,
    [property: JsonPropertyName("deployments")] IEnumerable<AdminDeploymentStatus> Deployments)
{
    [JsonPropertyName("object")]
    [JsonPropertyOrder(-1)]
    public string Object => "cluster";
}
