namespace Cluster.Grains.Completions;

/// <summary>
/// One server-sent event of a streamed response: the JSON after <c>data: </c>, already rewritten
/// for the client. The first event also names the deployment that serves the stream and the
/// rate-limit figures; a last event with empty <see cref="Data"/> carries the usage (it is not
/// sent to the client).
/// </summary>
[GenerateSerializer, Immutable, Alias("Cluster.StreamEvent")]
public sealed record StreamEvent(
    [property: Id(0)] byte[] Data,
    [property: Id(1)] string? DeploymentId,
    [property: Id(2)] Limits.RateLimitStatus? Limits,
    [property: Id(3)] TokenUsage? Usage)
{
    public bool IsTrailer => Data.Length == 0 && Usage is not null;

    /// <summary>The marker sent just before the backend is first called (see <see cref="CompletionRequest.ReportDispatch"/>).</summary>
    public bool IsDispatchMarker => Data.Length == 0 && Usage is null;
}
