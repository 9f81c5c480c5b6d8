namespace Cluster.Grains.Completions;

/// <summary>A finished, non-streamed response: the body as the client will see it.</summary>
[GenerateSerializer, Immutable, Alias("Cluster.CompletionResult")]
public sealed record CompletionResult(
    [property: Id(0)] byte[] Body,
    [property: Id(1)] TokenUsage? Usage,
    [property: Id(2)] string DeploymentId,
    [property: Id(3)] Limits.RateLimitStatus? Limits)
{
    /// <summary>The marker sent just before the backend is first called (see <see cref="CompletionRequest.ReportDispatch"/>).</summary>
    public static readonly CompletionResult DispatchMarker = new([], null, "", null);

    public bool IsDispatchMarker => Body.Length == 0 && DeploymentId.Length == 0;
}
