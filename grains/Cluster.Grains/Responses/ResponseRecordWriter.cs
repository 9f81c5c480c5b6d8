using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace Cluster.Grains.Responses;

/// <summary>
/// See <see cref="IResponseRecordWriter"/>. The record is the one <see cref="ResponseGrain"/> keeps
/// (state <see cref="ResponseGrain.StateName"/> of the response's grain id), written as new; a write
/// sent again after it went through (a retried call) replaces it.
/// </summary>
internal sealed class ResponseRecordWriter(IServiceProvider services, IGrainFactory grains) : IResponseRecordWriter
{
    private IGrainStorage? _storage;

    public async Task StoreAsync(string id, StoredResponse response)
    {
        var storage = _storage ??= services.GetRequiredKeyedService<IGrainStorage>(GrainStorage.Name);
        var grainId = grains.GetGrain<IResponseGrain>(id).GetGrainId();
        var state = new GrainState<ResponseGrainState>(new ResponseGrainState { Response = response });
        try
        {
            await storage.WriteStateAsync(ResponseGrain.StateName, grainId, state);
        }
        catch (InconsistentStateException)
        {
            // Already written (this is a retry): replace it under the stored version.
            var current = new GrainState<ResponseGrainState>(new ResponseGrainState());
            await storage.ReadStateAsync(ResponseGrain.StateName, grainId, current);
            state.ETag = current.ETag;
            await storage.WriteStateAsync(ResponseGrain.StateName, grainId, state);
        }
    }
}
