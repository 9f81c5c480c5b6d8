using Cluster.Relay.Views;
using Cluster.Grains.Models;
using Cluster.Grains.Routing;

namespace Cluster.Api.Admin;

/// <summary>
/// <c>GET /admin/cluster</c>: the silos of the cluster (from Orleans membership) and every
/// deployment of the catalogue with its circuit state and cluster-wide requests in flight (from
/// its status grain, the one authority the silos route on).
/// </summary>
internal static class ClusterAdminEndpoints
{
    public static RouteGroupBuilder MapClusterAdmin(this RouteGroupBuilder admin)
    {
        admin.MapGet("/cluster", DescribeAsync);
        return admin;
    }

    private static async Task<IResult> DescribeAsync(IGrainFactory grains, ModelCatalogView catalog)
    {
        var hosts = await grains.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: false);
        var snapshot = await catalog.LoadAsync();
        var deployments = snapshot.Models
            .SelectMany(model => model.Deployments.Select(deployment => (Model: model.Name, Deployment: deployment)))
            .ToList();
        var statuses = await Task.WhenAll(deployments.Select(d => grains.GetGrain<IDeploymentStatusGrain>(d.Deployment.Id).GetAsync()));
        return Results.Json(new
        {
            @object = "cluster",
            silos = hosts
                .OrderBy(h => h.SiloName, StringComparer.Ordinal)
                .Select(h => new
                {
                    name = h.SiloName,
                    address = h.SiloAddress.ToString(),
                    host = h.HostName,
                    status = h.Status.ToString(),
                    started = new DateTimeOffset(DateTime.SpecifyKind(h.StartTime, DateTimeKind.Utc)).ToUnixTimeSeconds(),
                    last_alive = new DateTimeOffset(DateTime.SpecifyKind(h.IAmAliveTime, DateTimeKind.Utc)).ToUnixTimeSeconds(),
                }),
            deployments = deployments.Select((d, i) => new
            {
                id = d.Deployment.Id,
                model = d.Model,
                provider = d.Deployment.Provider,
                circuit = statuses[i].State switch
                {
                    CircuitState.Open => "open",
                    CircuitState.HalfOpen => "half_open",
                    _ => "closed",
                },
                cooldown_until = statuses[i].CooldownUntil?.ToUnixTimeSeconds(),
                in_flight = statuses[i].ClusterInFlight,
                last_failure = statuses[i].LastFailure,
            }),
        });
    }
}
