using System.Collections.Concurrent;

namespace Cluster.Tests.Support;

/// <summary>The faults a <see cref="FaultyGrainStorage"/> is to make of the next writes.</summary>
public sealed class StorageFaults
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
