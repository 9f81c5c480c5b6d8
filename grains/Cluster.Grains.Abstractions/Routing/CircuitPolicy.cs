namespace Cluster.Grains.Routing;

/// <summary>When a deployment's circuit opens and for how long; from the <c>Routing</c> section.</summary>
[GenerateSerializer, Immutable, Alias("Cluster.CircuitPolicy")]
public sealed record CircuitPolicy(
    [property: Id(0)] int FailureThreshold,
    [property: Id(1)] TimeSpan FailureWindow,
    [property: Id(2)] TimeSpan Cooldown,
    [property: Id(3)] TimeSpan? HealthCheckInterval,
    [property: Id(4)] string? HealthCheckUrl);
