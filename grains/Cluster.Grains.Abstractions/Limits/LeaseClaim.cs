namespace Cluster.Grains.Limits;

/// <summary>
/// A front-end's claim on a lease it holds for a running request: enough to renew the lease, or to
/// count it again on a limiter that lost it with its silo (<see cref="ILimiterGrain.ReclaimAsync"/>).
/// </summary>
[GenerateSerializer, Immutable, Alias("Cluster.LeaseClaim")]
public sealed record LeaseClaim(
    [property: Id(0)] AdmissionRequest Admission,
    [property: Id(1)] long AdmittedSecond);
