namespace Cluster.Grains.Sessions;

/// <summary>A session's pins (model → deployment id), its usage, and when it was last used.</summary>
[GenerateSerializer, Immutable, Alias("Cluster.SessionInfo")]
public sealed record SessionInfo(
    [property: Id(0)] string Id,
    [property: Id(1)] Dictionary<string, string> Pins,
    [property: Id(2)] long Requests,
    [property: Id(3)] long PromptTokens,
    [property: Id(4)] long CompletionTokens,
    [property: Id(5)] DateTimeOffset? LastSeen,
    [property: Id(6)] int Repins);
