using System.Collections.Concurrent;

namespace Cluster.Tests.Support;

/// <summary>The faults a <see cref="FaultyGrainStorage"/> is to make of the next writes.</summary>
public sealed class StorageFaults
{
    private readonly ConcurrentDictionary<GrainId, int> _lostAnswers = new();
    private readonly List<Failure> _failures = [];

    /// <summary>The next write of <paramref name="grainId"/>'s state is applied but its caller sees a timeout.</summary>
    public void LoseNextAnswer(GrainId grainId) => _lostAnswers.AddOrUpdate(grainId, 1, (_, n) => n + 1);

    /// <summary>
    /// The next <paramref name="count"/> writes of <paramref name="grainId"/>'s rows whose state name matches
    /// <paramref name="row"/> fail without being applied, as when storage is unreachable (0 ends the failures).
    /// </summary>
    public void FailNextWrites(GrainId grainId, Func<string, bool> row, int count = 1)
    {
        lock (_failures)
        {
            _failures.RemoveAll(f => f.Grain == grainId);
            if (count > 0)
            {
                _failures.Add(new Failure(grainId, row) { Remaining = count });
            }
        }
    }

    internal bool TakeLostAnswer(GrainId grainId)
    {
        while (_lostAnswers.TryGetValue(grainId, out var n))
        {
            var taken = n <= 1
                ? _lostAnswers.TryRemove(new KeyValuePair<GrainId, int>(grainId, n))
                : _lostAnswers.TryUpdate(grainId, n - 1, n);
            if (taken)
            {
                return true;
            }
        }

        return false;
    }

    internal bool TakeFailure(GrainId grainId, string stateName)
    {
        lock (_failures)
        {
            var failure = _failures.Find(f => f.Grain == grainId && f.Row(stateName));
            if (failure is null)
            {
                return false;
            }

            if (--failure.Remaining == 0)
            {
                _failures.Remove(failure);
            }

            return true;
        }
    }

    private sealed record Failure(GrainId Grain, Func<string, bool> Row)
    {
        public int Remaining { get; set; }
    }
}
