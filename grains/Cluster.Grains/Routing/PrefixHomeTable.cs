namespace Cluster.Grains.Routing;

/// <summary>
/// A model's prefix homes and their recent load: the state of <see cref="PrefixHomesGrain"/>, kept
/// apart from the grain so it can be tested on its own. Bounded-load consistent hashing: a new
/// prefix goes to the first candidate of its rendezvous order whose load, with the new prefix, stays
/// within (1 + slack) times its weighted share of the total. A home's load is 1 plus its requests
/// (decayed, half-life <see cref="HalfLife"/>) over the mean of all homes', so while nothing is
/// measured homes are balanced by count, and once it is, a hot prefix counts for more. Homes not used
/// for <see cref="Expiry"/> are forgotten, and at most <see cref="MaxHomes"/> are kept.
/// </summary>
internal sealed class PrefixHomeTable(TimeProvider time)
{
    public const int MaxHomes = 20_000;
    public static readonly TimeSpan HalfLife = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan Expiry = TimeSpan.FromMinutes(30);

    private readonly Dictionary<ulong, Home> _homes = [];

    public int Count => _homes.Count;

    public string? HomeOf(ulong anchor) => _homes.TryGetValue(anchor, out var home) ? home.Deployment : null;

    public string Place(ulong anchor, PrefixHomeCandidates candidates)
    {
        var now = time.GetTimestamp();
        var ids = candidates.DeploymentIds;
        if (_homes.TryGetValue(anchor, out var known) && Array.IndexOf(ids, known.Deployment) >= 0)
        {
            known.LastUsed = now;
            return known.Deployment;
        }

        var chosen = Choose(ids, candidates.Weights, candidates.Slack, now);
        if (known is not null)
        {
            // Its deployment left the model: the prefix starts again elsewhere.
            known.Deployment = chosen;
            known.LastUsed = now;
        }
        else
        {
            Add(anchor, new Home(chosen, now, time));
        }

        return chosen;
    }

    /// <summary>Counts the requests of known homes; adopts unknown ones. Returns the known homes that differ from the reported.</summary>
    public PrefixHomeUse[] Record(IEnumerable<PrefixHomeUse> uses)
    {
        var now = time.GetTimestamp();
        List<PrefixHomeUse>? corrections = null;
        foreach (var use in uses)
        {
            if (!_homes.TryGetValue(use.Anchor, out var home))
            {
                home = new Home(use.Home, now, time);
                Add(use.Anchor, home);
            }
            else if (home.Deployment != use.Home)
            {
                (corrections ??= []).Add(use with { Home = home.Deployment, Requests = 0 });
            }

            home.Add(use.Requests, now);
            home.LastUsed = now;
        }

        return corrections is null ? [] : [.. corrections];
    }

    /// <summary>Each candidate's load: the sum of its homes' weights (see the class summary).</summary>
    public double[] Loads(string[] ids)
    {
        var now = time.GetTimestamp();
        var mean = MeanScore(now);
        var loads = new double[ids.Length];
        foreach (var home in _homes.Values)
        {
            var i = Array.IndexOf(ids, home.Deployment);
            if (i >= 0)
            {
                loads[i] += Weight(home.Score(now), mean);
            }
        }

        return loads;
    }

    private string Choose(string[] ids, int[] weights, double slack, long now)
    {
        var loads = Loads(ids);
        var added = MeanScore(now) > 0 ? 2.0 : 1.0;
        double total = added, weightSum = 0;
        for (var i = 0; i < ids.Length; i++)
        {
            total += loads[i];
            weightSum += Math.Max(1, WeightAt(weights, i));
        }

        var lightest = 0;
        for (var i = 0; i < ids.Length; i++)
        {
            var weight = Math.Max(1, WeightAt(weights, i));
            var cap = (1 + slack) * total * weight / weightSum;
            if (loads[i] == 0 || loads[i] + added <= cap + 1e-9)
            {
                return ids[i];
            }

            if (loads[i] / weight < loads[lightest] / Math.Max(1, WeightAt(weights, lightest)))
            {
                lightest = i;
            }
        }

        return ids[lightest];
    }

    private static int WeightAt(int[] weights, int i) => i < weights.Length ? weights[i] : 1;

    private static double Weight(double score, double mean) => mean > 0 ? 1 + (score / mean) : 1;

    private double MeanScore(long now)
    {
        if (_homes.Count == 0)
        {
            return 0;
        }

        var sum = 0.0;
        foreach (var home in _homes.Values)
        {
            sum += home.Score(now);
        }

        return sum / _homes.Count;
    }

    private void Add(ulong anchor, Home home)
    {
        _homes[anchor] = home;
        if (_homes.Count > MaxHomes)
        {
            Sweep(home.LastUsed);
        }
    }

    /// <summary>Forgets homes unused for <see cref="Expiry"/>; then, if still too many, the least recently used tenth.</summary>
    public void Sweep(long now)
    {
        foreach (var (anchor, home) in _homes.ToArray())
        {
            if (time.GetElapsedTime(home.LastUsed, now) > Expiry)
            {
                _homes.Remove(anchor);
            }
        }

        if (_homes.Count > MaxHomes)
        {
            foreach (var (anchor, _) in _homes.OrderBy(h => h.Value.LastUsed).Take(_homes.Count - (MaxHomes * 9 / 10)).ToArray())
            {
                _homes.Remove(anchor);
            }
        }
    }

    private sealed class Home(string deployment, long now, TimeProvider time)
    {
        private double _score;
        private long _scoredAt = now;

        public string Deployment { get; set; } = deployment;

        public long LastUsed { get; set; } = now;

        public double Score(long now) => _score * Decay(now);

        public void Add(int requests, long now)
        {
            _score = (_score * Decay(now)) + requests;
            _scoredAt = now;
        }

        private double Decay(long now)
        {
            var elapsed = time.GetElapsedTime(_scoredAt, now);
            return elapsed <= TimeSpan.Zero ? 1 : Math.Pow(0.5, elapsed / HalfLife);
        }
    }
}
