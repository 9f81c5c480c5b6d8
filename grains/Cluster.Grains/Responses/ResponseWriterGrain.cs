using Microsoft.Extensions.DependencyInjection;
using Orleans.Concurrency;
using Orleans.Storage;

namespace Cluster.Grains.Responses;

/// <summary>
/// See <see cref="IResponseWriterGrain"/>. The record is the one <see cref="ResponseGrain"/> keeps
/// (state <see cref="ResponseGrain.StateName"/> of the response's grain id), written as new; a
/// write sent again after it went through (a retried call) replaces it.
/// </summary>
[StatelessWorker]
internal sealed class ResponseWriterGrain : Grain, IResponseWriterGrain
{
    private IGrainStorage _storage = null!;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _storage = ServiceProvider.GetRequiredKeyedService<IGrainStorage>(GrainStorage.Name);
        return Task.CompletedTask;
    }

    public async Task StoreAsync(string id, StoredResponse response)
    {
        var grainId = GrainFactory.GetGrain<IResponseGrain>(id).GetGrainId();
        var state = new GrainState<ResponseGrainState>(new ResponseGrainState { Response = response });
        try
        {
            await _storage.WriteStateAsync(ResponseGrain.StateName, grainId, state);
        }
        catch (InconsistentStateException)
        {
            // Already written (this is a retry): replace it under the stored version.
            var current = new GrainState<ResponseGrainState>(new ResponseGrainState());
            await _storage.ReadStateAsync(ResponseGrain.StateName, grainId, current);
            state.ETag = current.ETag;
            await _storage.WriteStateAsync(ResponseGrain.StateName, grainId, state);
        }
    }
}
