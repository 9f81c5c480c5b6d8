namespace Cluster.Grains.Responses;

/// <summary>
/// One part of an expiry bucket's durable state: the ids one group commit added. Parts are rows
/// <c>expiry-part-0</c>, <c>expiry-part-1</c>, … of the bucket's grain, numbered without gaps. (A
/// bucket written before parts existed keeps its ids in the row <c>expiry</c>, same shape; the
/// sweep reads it too.)
/// </summary>
[GenerateSerializer, Alias("Cluster.ResponseExpiryState")]
public sealed class ResponseExpiryState
{
    [Id(0)] public HashSet<string> ResponseIds { get; set; } = new(StringComparer.Ordinal);
}
