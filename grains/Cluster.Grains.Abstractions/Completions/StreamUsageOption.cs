namespace Cluster.Grains.Completions;

/// <summary>What a streaming request said about <c>stream_options</c>.</summary>
[GenerateSerializer, Alias("Cluster.StreamUsageOption")]
public enum StreamUsageOption
{
    /// <summary>No <c>stream_options</c> at all: the gateway adds it and strips the usage chunk.</summary>
    Absent = 0,

    /// <summary><c>stream_options.include_usage</c> is true: the client gets the usage chunk.</summary>
    Included = 1,

    /// <summary><c>stream_options</c> is present without <c>include_usage: true</c>: rewritten, usage chunk stripped.</summary>
    Excluded = 2,
}
