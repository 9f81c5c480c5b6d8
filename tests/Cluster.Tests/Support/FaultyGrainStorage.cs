using Orleans.Storage;

namespace Cluster.Tests.Support;

/// <summary>
/// Grain storage that passes everything to another one, except that a test can make a write
/// succeed in storage and still fail for its caller, as when a storage service's answer is lost
/// (a timeout after the write was applied), or fail without being applied. Shared by all silos of a test cluster.
/// </summary>
public sealed class FaultyGrainStorage(IGrainStorage inner, StorageFaults faults) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (faults.TakeFailure(grainId, stateName))
        {
            throw new TimeoutException($"The storage could not be reached (the write of {stateName} for {grainId} was not applied).");
        }

        await inner.WriteStateAsync(stateName, grainId, grainState);
        if (faults.TakeLostAnswer(grainId))
        {
            throw new TimeoutException($"The storage did not answer in time (the write of {stateName} for {grainId} was applied).");
        }
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ClearStateAsync(stateName, grainId, grainState);
}
