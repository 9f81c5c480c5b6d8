namespace Cluster.Relay.Providers;

/// <summary>
/// Speaks to one kind of backend. Both methods produce OpenAI wire JSON naming the upstream
/// model; the relay rewrites the name and reads usage. Failures are <see cref="Errors.GatewayException"/>s.
/// </summary>
internal interface IModelProvider
{
    /// <summary>The whole response body of a non-streamed request.</summary>
    Task<byte[]> CompleteAsync(UpstreamCall call, CancellationToken cancellationToken);

    /// <summary>The data of each server-sent event of a streamed request, without <c>[DONE]</c>.</summary>
    IAsyncEnumerable<byte[]> StreamAsync(UpstreamCall call, CancellationToken cancellationToken);
}
