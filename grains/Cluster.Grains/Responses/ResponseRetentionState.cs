namespace Cluster.Grains.Responses;

/// <summary>
/// The retention root's durable state: the hours with buckets not swept yet (<c>yyyyMMddHH</c>, so
/// ordinal order is time order), and the writers' own buckets of each (beside its shards).
/// </summary>
[GenerateSerializer, Alias("Cluster.ResponseRetentionState")]
public sealed class ResponseRetentionState
{
    [Id(0)] public SortedSet<string> Hours { get; set; } = new(StringComparer.Ordinal);

    [Id(1)] public Dictionary<string, HashSet<string>> Buckets { get; set; } = new(StringComparer.Ordinal);
}
