using System.Collections.Concurrent;
using Orleans.Storage;

namespace Cluster.Tests.Support;

/// <summary>
/// Grain storage that passes everything to another one, except that a test can make a write
/// succeed in storage and still fail for its caller, as when a storage service's answer is lost
/// (a timeout after the write was applied). Shared by all silos of a test cluster.
/// </summary>
public sealed class FaultyGrainStorage(IGrainStorage inner, FaultyGrainStorage.Faults faults) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ReadStateAsync(stateName, grainId, grainState);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        await inner.WriteStateAsync(stateName, grainId, grainState);
        if (faults.TakeLostAnswer(grainId))
        {
            throw new TimeoutException($"The storage did not answer in time (the write of {stateName} for {grainId} was applied).");
        }
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ClearStateAsync(stateName, grainId, grainState);

    /// <summary>The faults planned for the next writes.</summary>
    public sealed class Faults
    {
        private readonly ConcurrentDictionary<GrainId, int> _lostAnswers = new();

        /// <summary>The next write of <paramref name="grainId"/>'s state is applied but its caller sees a timeout.</summary>
        public void LoseNextAnswer(GrainId grainId) => _lostAnswers.AddOrUpdate(grainId, 1, (_, n) => n + 1);

        internal bool TakeLostAnswer(GrainId grainId)
        {
            while (_lostAnswers.TryGetValue(grainId, out var n))
            {
                if (n <= 1 ? _lostAnswers.TryRemove(new KeyValuePair<GrainId, int>(grainId, n)) : _lostAnswers.TryUpdate(grainId, n - 1, n))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
