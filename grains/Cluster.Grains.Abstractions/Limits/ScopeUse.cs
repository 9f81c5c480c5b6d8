namespace Cluster.Grains.Limits;

/// <summary>
/// One scope of a limiter right now (<c>tenant</c>, <c>key:{id}</c>, <c>model:{name}</c>, or the
/// deployment): requests and tokens counted in the current 60-second window, and requests in flight.
/// </summary>
[GenerateSerializer, Immutable, Alias("Cluster.ScopeUse")]
public sealed record ScopeUse(
    [property: Id(0)] string Scope,
    [property: Id(1)] long RequestsInWindow,
    [property: Id(2)] long TokensInWindow,
    [property: Id(3)] int InFlight);
