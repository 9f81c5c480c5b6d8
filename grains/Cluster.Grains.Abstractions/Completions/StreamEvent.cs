namespace Cluster.Grains.Completions;

/// <summary>
/// One server-sent event of a streamed response: the JSON after <c>data: </c>, already rewritten
/// for the client. The first event also names the deployment that serves the stream.
/// </summary>
[GenerateSerializer, Immutable, Alias("Cluster.StreamEvent")]
public sealed record StreamEvent(
    [property: Id(0)] byte[] Data,
    [property: Id(1)] string? DeploymentId);
