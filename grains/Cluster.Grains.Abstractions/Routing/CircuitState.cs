namespace Cluster.Grains.Routing;

/// <summary>A deployment's circuit: closed (in service), open (cooling down after failures) or half-open (one probe allowed).</summary>
[GenerateSerializer, Alias("Cluster.CircuitState")]
public enum CircuitState
{
    Closed = 0,
    Open = 1,
    HalfOpen = 2,
}
