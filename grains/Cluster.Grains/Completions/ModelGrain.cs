using System.Runtime.CompilerServices;
using Cluster.Grains.Relay;
using Orleans.Concurrency;

namespace Cluster.Grains.Completions;

/// <summary>
/// Serves one model's requests. One stateless-worker activation per silo and key, reentrant: its
/// requests wait on backends, not on each other, so one activation carries any number of them.
/// A single worker (not several) keeps each stream's enumerator on the activation that started it,
/// which Orleans needs to find it on the next pull. The front-end spreads a model's traffic over
/// <c>Cluster:ModelShards</c> keys, and so over silos. The work itself is in <see cref="CompletionRelay"/>.
/// </summary>
[StatelessWorker(1)]
[Reentrant]
internal sealed class ModelGrain(CompletionRelay relay) : Grain, IModelGrain
{
    public Task<CompletionResult> CompleteAsync(CompletionRequest request, CancellationToken cancellationToken = default) =>
        relay.CompleteAsync(request, cancellationToken);

    public async IAsyncEnumerable<CompletionResult> CompletePolledAsync(CompletionRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (!request.ReportDispatch)
        {
            yield return await relay.CompleteAsync(request, cancellationToken);
            yield break;
        }

        var dispatched = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var work = relay.CompleteAsync(request, cancellationToken, () => dispatched.TrySetResult());
        await Task.WhenAny(dispatched.Task, work);
        if (dispatched.Task.IsCompleted)
        {
            yield return CompletionResult.DispatchMarker;
        }

        yield return await work;
    }

    public async IAsyncEnumerable<StreamEvent> StreamAsync(CompletionRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var item in relay.StreamAsync(request, cancellationToken))
        {
            yield return item;
        }
    }
}
