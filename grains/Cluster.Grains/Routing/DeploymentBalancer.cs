using System.Collections.Concurrent;
using Cluster.Grains.Models;

namespace Cluster.Grains.Routing;

/// <summary>
/// Orders a model's deployments for one request by the model's routing strategy, from this silo's
/// view of in-flight requests and time to first token. The first entry is the choice; the rest
/// are the failover order.
/// </summary>
internal sealed class DeploymentBalancer
{
    private readonly ConcurrentDictionary<string, DeploymentLoad> _loads = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StrongBox> _roundRobin = new(StringComparer.Ordinal);

    public IReadOnlyList<DeploymentDefinition> Order(ModelDefinition model)
    {
        var deployments = model.Deployments;
        if (deployments.Length <= 1)
        {
            return deployments;
        }

        switch (model.Routing)
        {
            case "round-robin":
            {
                var start = (int)((uint)Interlocked.Increment(ref _roundRobin.GetOrAdd(model.Name, _ => new StrongBox()).Value) % deployments.Length);
                return [.. deployments[start..], .. deployments[..start]];
            }

            case "weighted":
            {
                var total = deployments.Sum(d => Math.Max(d.Weight, 0));
                var pick = total == 0 ? 0 : Random.Shared.Next(total);
                var first = 0;
                for (var i = 0; i < deployments.Length; i++)
                {
                    pick -= Math.Max(deployments[i].Weight, 0);
                    if (pick < 0)
                    {
                        first = i;
                        break;
                    }
                }

                return [deployments[first], .. deployments.Where((_, i) => i != first).OrderByDescending(d => d.Weight)];
            }

            case "latency":
                return Shuffled(deployments).OrderBy(d => LoadOf(d.Id).FirstTokenMs).ToArray();

            default:
                // Least in-flight per unit of weight, ties broken at random so equal deployments share load.
                return Shuffled(deployments).OrderBy(d => (LoadOf(d.Id).InFlight + 1.0) / Math.Max(d.Weight, 1)).ToArray();
        }
    }

    /// <summary>Counts a request against a deployment until the lease is disposed.</summary>
    public Lease Acquire(DeploymentDefinition deployment)
    {
        var load = LoadOf(deployment.Id);
        Interlocked.Increment(ref load.InFlight);
        return new Lease(load);
    }

    public int InFlight(string deploymentId) => LoadOf(deploymentId).InFlight;

    private DeploymentLoad LoadOf(string id) => _loads.GetOrAdd(id, static _ => new DeploymentLoad());

    private static DeploymentDefinition[] Shuffled(DeploymentDefinition[] deployments)
    {
        var copy = (DeploymentDefinition[])deployments.Clone();
        Random.Shared.Shuffle(copy);
        return copy;
    }

    internal sealed class DeploymentLoad
    {
        public int InFlight;
        public double FirstTokenMs;

        public void RecordFirstToken(TimeSpan elapsed)
        {
            // Exponential moving average; races between threads only blur it slightly.
            var previous = FirstTokenMs;
            FirstTokenMs = previous == 0 ? elapsed.TotalMilliseconds : (0.8 * previous) + (0.2 * elapsed.TotalMilliseconds);
        }
    }

    internal sealed class StrongBox
    {
        public int Value;
    }

    /// <summary>One request's claim on a deployment.</summary>
    internal sealed class Lease(DeploymentLoad load) : IDisposable
    {
        private int _disposed;

        public void RecordFirstToken(TimeSpan elapsed) => load.RecordFirstToken(elapsed);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref load.InFlight);
            }
        }
    }
}
