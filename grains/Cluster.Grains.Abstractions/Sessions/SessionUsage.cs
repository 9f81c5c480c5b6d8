namespace Cluster.Grains.Sessions;

/// <summary>What a front-end's requests of one session used since it last told the session grain.</summary>
[GenerateSerializer, Immutable, Alias("Cluster.SessionUsage")]
public sealed record SessionUsage(
    [property: Id(0)] int Requests,
    [property: Id(1)] long PromptTokens,
    [property: Id(2)] long CompletionTokens);
