namespace Cluster.Grains.Completions;

/// <summary>
/// Serves the requests of one model: picks a deployment, calls the backend, relays the result.
/// Keyed <c>{model}/{shard}</c> (see <see cref="KeyOf"/>) so a hot model's traffic spreads over
/// several activations and silos; each activation is a reentrant stateless worker.
/// </summary>
[Alias("Cluster.IModelGrain")]
public interface IModelGrain : IGrainWithStringKey
{
    /// <summary>A non-streamed chat completion, completion or embedding.</summary>
    [Alias("Complete"), ResponseTimeout("01:00:00")]
    Task<CompletionResult> CompleteAsync(CompletionRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// The same as <see cref="CompleteAsync"/>, delivered as a one-element stream. The front-end
    /// uses this form: a stream's pulls long-poll with heartbeats within the normal response
    /// timeout, so if the silo dies mid-request the caller learns it within that timeout instead
    /// of waiting out the hour a plain call must be allowed.
    /// </summary>
    [Alias("CompletePolled")]
    IAsyncEnumerable<CompletionResult> CompletePolledAsync(CompletionRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// A streamed completion. Failures before the first event throw <see cref="Errors.GatewayException"/>;
    /// the enumeration's first element arrives only once the backend accepted the request.
    /// </summary>
    [Alias("Stream")]
    IAsyncEnumerable<StreamEvent> StreamAsync(CompletionRequest request, CancellationToken cancellationToken = default);

    public static string KeyOf(string model, int shard) => string.Concat(model, "/", shard.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static string ModelOf(string key) => key[..key.LastIndexOf('/')];
}
