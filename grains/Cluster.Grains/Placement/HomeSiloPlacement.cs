namespace Cluster.Grains.Placement;

/// <summary>
/// Places a grain on its home silo: of the silos that can host it, the one that ranks first for the
/// grain's id (<see cref="HomeSilos"/>). Every silo computes the same home, a silo that dies hands its
/// grains to the survivors evenly, and one that joins or returns becomes home to its share again,
/// which <see cref="HomeSiloRebalancer"/> then moves there.
/// </summary>
[GenerateSerializer, Alias("Cluster.HomeSiloPlacement")]
public sealed class HomeSiloPlacement : PlacementStrategy
{
    public static HomeSiloPlacement Instance { get; } = new();
}
