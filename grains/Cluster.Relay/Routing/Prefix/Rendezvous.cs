using System.Collections.Concurrent;
using System.IO.Hashing;
using System.Text;

namespace Cluster.Relay.Routing.Prefix;

/// <summary>
/// Weighted rendezvous (highest random weight) hashing of a prefix's anchor over deployment ids: the
/// same order on every front-end, computed from the request alone; a deployment that leaves moves
/// only the prefixes it ranked first.
/// </summary>
internal static class Rendezvous
{
    private static readonly ConcurrentDictionary<string, ulong> IdHashes = new(StringComparer.Ordinal);

    /// <summary>The deployment's score for the prefix: the highest ranks first.</summary>
    public static double Score(ulong anchor, DeploymentDefinition deployment)
    {
        var id = IdHashes.GetOrAdd(deployment.Id, static id => XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(id)));
        var mixed = Mix(anchor ^ id);

        // A uniform draw in (0, 1); -w / ln(u) is the weighted rendezvous score.
        var uniform = ((mixed >> 11) + 0.5) / (1UL << 53);
        return -Math.Max(deployment.Weight, 1) / Math.Log(uniform);
    }

    /// <summary>The deployments in the prefix's rendezvous order, best first.</summary>
    public static DeploymentDefinition[] Order(ulong anchor, DeploymentDefinition[] deployments) =>
        [.. deployments.OrderByDescending(d => Score(anchor, d))];

    /// <summary>SplitMix64's finalizer: spreads the bits of the combined hash.</summary>
    private static ulong Mix(ulong value)
    {
        value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9UL;
        value = (value ^ (value >> 27)) * 0x94d049bb133111ebUL;
        return value ^ (value >> 31);
    }
}
