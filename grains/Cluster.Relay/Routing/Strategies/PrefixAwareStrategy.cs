namespace Cluster.Relay.Routing.Strategies;

/// <summary>
/// <c>prefix-aware</c> (the default): sends a prompt where its prefix is cached, so the backend
/// skips the prefill of what it already holds. Per request, in this order:
/// <list type="number">
/// <item>A deployment at its <c>MaxConcurrency</c>, or over its bounded share of the load
/// (<c>Routing:PrefixSpillPercent</c> of the average in flight per unit of weight, once it has at
/// least <c>Routing:PrefixMinInFlight</c> in flight and <see cref="QueuedMin"/> of them waiting for
/// their first token) while another replica idles, goes last: a hot prefix spreads before a backend
/// saturates, and never while another replica idles and this one has a queue.</item>
/// <item>Among the others, the prefix's home, which the model's <see cref="IPrefixHomesGrain"/> chose
/// by bounded-load consistent hashing (<see cref="PrefixHomes"/>: the first deployment in the
/// rendezvous order of the prompt's leading blocks whose share of the homes' load stays under the
/// cap), the same for every front-end; while the home is not known, the first in that rendezvous
/// order stands in.</item>
/// <item>Unless another deployment is believed to hold a longer prefix of the prompt by
/// <see cref="HomeMarginBlocks"/> (<see cref="PrefixCacheEstimate"/>): a conversation that went
/// elsewhere stays there.</item>
/// <item>Then the longest prefix believed cached, then the rendezvous order, so a prefix that spills
/// goes to the same next deployment everywhere.</item>
/// </list>
/// A prompt shorter than one block has nothing worth caching: it is placed by least in flight.
/// </summary>
internal sealed class PrefixAwareStrategy(double loadFactor = 2.0, int minInFlight = 4) : IRoutingStrategy
{
    public const string RoutingName = "prefix-aware";

    /// <summary>A session's pin yields to a deployment holding at least this many more blocks of the prompt (and half of it).</summary>
    internal const int PinMarginBlocks = 8;

    /// <summary>A prefix leaves its home (under its share of the load) only for a deployment believed to hold this many more of its blocks.</summary>
    internal const int HomeMarginBlocks = 8;

    /// <summary>A deployment has a queue when at least this many of its requests wait for their first token.</summary>
    internal const int QueuedMin = 2;

    private readonly LeastInFlightStrategy _unblocked = new();

    public string Name => RoutingName;

    public DeploymentDefinition[] Order(ModelDefinition model, DeploymentDefinition[] deployments, IDeploymentLoads loads, PromptBlocks prompt)
    {
        if (prompt.Count == 0)
        {
            return _unblocked.Order(model, deployments, loads, prompt);
        }

        var load = Load.Of(deployments, loads, loadFactor, minInFlight);
        var anchor = prompt.Anchor;
        var home = loads.PrefixHome(model, anchor);
        var candidates = new Candidate[deployments.Length];
        var homeAt = 0;
        for (var i = 0; i < deployments.Length; i++)
        {
            var deployment = deployments[i];
            var inFlight = loads.ClusterInFlight(deployment);
            var score = deployment.Id == home ? double.PositiveInfinity : Rendezvous.Score(anchor, deployment);
            candidates[i] = new Candidate(deployment, inFlight, load.Over(deployment, inFlight, loads.ClusterWaiting(deployment)), loads.CacheOf(deployment).Matched(prompt), score);
            homeAt = score > candidates[homeAt].Home ? i : homeAt;
        }

        // The home (or, while it is not known, the first rendezvous candidate) is where the prefix
        // lives: another deployment wins only by holding a longer prefix by a margin, so a spilled
        // request or an estimate that outlived the backend's eviction does not pull the prefix away.
        candidates[homeAt] = candidates[homeAt] with { Matched = candidates[homeAt].Matched + HomeMarginBlocks };
        var homeId = candidates[homeAt].Deployment.Id;

        Array.Sort(candidates);
        var first = candidates[0];
        PrefixCacheMetrics.RecordPlacement(model.Name, first.Over ? "saturated" : first.Deployment.Id == homeId ? "home" : candidates.First(c => c.Deployment.Id == homeId).Over ? "spilled" : "cached");
        var order = new DeploymentDefinition[candidates.Length];
        for (var i = 0; i < candidates.Length; i++)
        {
            order[i] = candidates[i].Deployment;
        }

        return order;
    }

    /// <summary>
    /// Whether a session's pin should give way to <paramref name="best"/>, the first of this
    /// strategy's order: when the pinned deployment is over its share of the load and the best one is
    /// not, or the best holds a much longer prefix of the prompt (by <see cref="PinMarginBlocks"/> and
    /// half the prompt) and is no busier. Otherwise the pin is kept: it holds the conversation.
    /// </summary>
    public bool PinYields(DeploymentDefinition[] deployments, IDeploymentLoads loads, PromptBlocks prompt, DeploymentDefinition pinned, DeploymentDefinition best)
    {
        if (pinned.Id == best.Id)
        {
            return false;
        }

        var load = Load.Of(deployments, loads, loadFactor, minInFlight);
        int pinnedLoad = loads.ClusterInFlight(pinned), bestLoad = loads.ClusterInFlight(best);
        if (load.Over(pinned, pinnedLoad, loads.ClusterWaiting(pinned)) && !load.Over(best, bestLoad, loads.ClusterWaiting(best)))
        {
            return true;
        }

        if (prompt.Count == 0)
        {
            return false;
        }

        var margin = loads.CacheOf(best).Matched(prompt) - loads.CacheOf(pinned).Matched(prompt);
        return margin >= Math.Max(PinMarginBlocks, prompt.Count / 2) && bestLoad <= pinnedLoad;
    }

    /// <summary>
    /// The model's load now: what a deployment's bounded share of it is. A deployment is over it at
    /// its <c>MaxConcurrency</c>, or when it has a queue (at least <c>Routing:PrefixMinInFlight</c> in
    /// flight and past <c>Routing:PrefixSpillPercent</c> of the average per unit of weight) while another
    /// replica idles (at most the average divided by that factor), and at least <see cref="QueuedMin"/>
    /// of its requests still wait for their first token (most of a request's time in flight is decoding,
    /// which does not hold a new prompt back): a spill costs the prefix's prefill
    /// where it is cold, worth it only when the home's queue is long and someone can start at once.
    /// </summary>
    private readonly record struct Load(double PerWeight, double LeastPerWeight, double Factor, int MinInFlight)
    {
        public static Load Of(DeploymentDefinition[] deployments, IDeploymentLoads loads, double factor, int minInFlight)
        {
            long total = 1, weights = 0;
            var least = double.MaxValue;
            foreach (var deployment in deployments)
            {
                var inFlight = loads.ClusterInFlight(deployment);
                total += inFlight;
                weights += Math.Max(deployment.Weight, 1);
                least = Math.Min(least, (double)inFlight / Math.Max(deployment.Weight, 1));
            }

            return new Load((double)total / weights, least, factor, minInFlight);
        }

        public bool Over(DeploymentDefinition deployment, int inFlight, int waiting) =>
            inFlight >= deployment.MaxConcurrency
            || (inFlight >= MinInFlight && waiting >= QueuedMin && inFlight + 1 > Factor * PerWeight * Math.Max(deployment.Weight, 1) && LeastPerWeight <= PerWeight / Factor);
    }

    private readonly record struct Candidate(DeploymentDefinition Deployment, int InFlight, bool Over, int Matched, double Home) : IComparable<Candidate>
    {
        public int CompareTo(Candidate other)
        {
            if (Over != other.Over)
            {
                return Over ? 1 : -1;
            }

            if (Over)
            {
                // Both past their share: the less loaded per unit of weight first.
                return ((InFlight + 1.0) / Math.Max(Deployment.Weight, 1)).CompareTo((other.InFlight + 1.0) / Math.Max(other.Deployment.Weight, 1));
            }

            return Matched != other.Matched ? other.Matched.CompareTo(Matched) : other.Home.CompareTo(Home);
        }
    }
}
