namespace Cluster.Grains.Sessions;

/// <summary>A session grain's pins and counters, carried along when it moves to another silo.</summary>
[GenerateSerializer, Alias("Cluster.SessionSnapshot")]
public sealed record SessionSnapshot(
    [property: Id(0)] Dictionary<string, string> Pins,
    [property: Id(1)] DateTimeOffset? LastSeen,
    [property: Id(2)] long Requests,
    [property: Id(3)] long PromptTokens,
    [property: Id(4)] long CompletionTokens,
    [property: Id(5)] int Repins);
