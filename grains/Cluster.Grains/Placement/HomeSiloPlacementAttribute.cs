using Orleans.Placement;

namespace Cluster.Grains.Placement;

/// <summary>Marks a grain class for <see cref="HomeSiloPlacement"/>: placed on its home silo, and moved back there when the membership changes.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class HomeSiloPlacementAttribute() : PlacementAttribute(HomeSiloPlacement.Instance);
