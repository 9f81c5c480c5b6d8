using Cluster.Grains.Routing;

namespace Cluster.Tests.Support.InMemory;

/// <summary>
/// A deployment's status for unit tests of the balancer: records every report, and answers with the
/// status a test sets (<see cref="Status"/>, healthy by default). A report that carries a backend's
/// Retry-After opens the circuit for exactly that long, as the real status grain does.
/// </summary>
public sealed class InMemoryDeploymentStatusGrain(string key, TimeProvider time) : IDeploymentStatusGrain
{
    public string Key { get; } = key;

    public DeploymentStatus Status { get; set; } = DeploymentStatus.Healthy;

    /// <summary>Whether the next <see cref="TryProbeAsync"/> wins the probe.</summary>
    public bool ProbeAvailable { get; set; }

    public LockedCollection<DeploymentReport> Reports { get; } = new();

    public Task<DeploymentStatus> ReportAsync(DeploymentReport report, CircuitPolicy policy)
    {
        Reports.Add(report);
        if (report.ThrottledFor is { } throttled)
        {
            Status = Status with { State = CircuitState.Open, CooldownUntil = time.GetUtcNow() + throttled, LastFailure = report.LastFailure };
        }

        return Task.FromResult(Status);
    }

    public Task<bool> TryProbeAsync()
    {
        var won = ProbeAvailable;
        ProbeAvailable = false;
        return Task.FromResult(won);
    }

    public Task<DeploymentStatus> GetAsync() => Task.FromResult(Status);
}
