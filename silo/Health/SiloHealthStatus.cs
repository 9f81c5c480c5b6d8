using System.Text.Json.Serialization;

namespace Cluster.Silo.Health;

/// <summary>The body of <c>/health/live</c> and <c>/health/ready</c>: <c>{"status","silo","reason"}</c>.</summary>
internal sealed record SiloHealthStatus(string Status, string? Silo, string? Reason)
{
    [JsonIgnore]
    public bool IsReady => Status == "ready";
}
