using Orleans.Runtime.Placement;

namespace Cluster.Grains.Placement;

/// <summary>Chooses, of the silos compatible with the grain, the one that ranks first for its id.</summary>
internal sealed class HomeSiloPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context) =>
        Task.FromResult(HomeSilos.Choose(target.GrainIdentity, context.GetCompatibleSilos(target)));
}
