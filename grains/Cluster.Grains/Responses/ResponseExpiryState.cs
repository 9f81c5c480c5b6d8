namespace Cluster.Grains.Responses;

/// <summary>An expiry bucket's durable state: the response ids it holds.</summary>
[GenerateSerializer, Alias("Cluster.ResponseExpiryState")]
public sealed class ResponseExpiryState
{
    [Id(0)] public HashSet<string> ResponseIds { get; set; } = new(StringComparer.Ordinal);
}
