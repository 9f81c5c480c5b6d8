using Cluster.Grains.Placement;
using Cluster.Grains.Responses;
using Cluster.Grains.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Cluster.Grains;

public static class CompletionGrainsExtensions
{
    /// <summary>Registers what the cluster's grains need in a silo: time, the session settings, home-silo placement, the response record writer.</summary>
    public static ISiloBuilder AddCompletionGrains(this ISiloBuilder silo)
    {
        var services = silo.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<SessionOptions>().BindConfiguration(SessionOptions.SectionName);
        services.AddPlacementDirector<HomeSiloPlacement, HomeSiloPlacementDirector>();
        services.AddSingleton<IResponseRecordWriter, ResponseRecordWriter>();
        silo.AddIncomingGrainCallFilter<HomeSiloRebalancer>();
        return silo;
    }
}
