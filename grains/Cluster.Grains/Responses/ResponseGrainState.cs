namespace Cluster.Grains.Responses;

/// <summary>A stored response's durable state; empty (null) until stored and after deletion or expiry.</summary>
[GenerateSerializer, Alias("Cluster.ResponseGrainState")]
public sealed class ResponseGrainState
{
    [Id(0)] public StoredResponse? Response { get; set; }

    /// <summary>For the first response of a chain: the ids of the chain's later responses deleted since.</summary>
    [Id(1)] public HashSet<string>? DeletedInChain { get; set; }
}
