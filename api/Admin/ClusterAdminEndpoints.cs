using Cluster.Api.Admin.Responses;
using Cluster.Relay.Views;
using Cluster.Grains.Models;
using Cluster.Grains.Routing;

namespace Cluster.Api.Admin;

/// <summary>
/// <c>GET /admin/cluster</c>: the silos of the cluster (from Orleans membership) and every
/// deployment of the catalog with its circuit state and cluster-wide requests in flight (from
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
        return Results.Json(new AdminCluster(
            Silos: hosts
                .OrderBy(h => h.SiloName, StringComparer.Ordinal)
                .Select(h => new AdminSilo(
                    Name: h.SiloName,
                    Address: h.SiloAddress.ToString(),
                    Host: h.HostName,
                    Status: h.Status.ToString(),
                    Started: new DateTimeOffset(DateTime.SpecifyKind(h.StartTime, DateTimeKind.Utc)).ToUnixTimeSeconds(),
                    LastAlive: new DateTimeOffset(DateTime.SpecifyKind(h.IAmAliveTime, DateTimeKind.Utc)).ToUnixTimeSeconds())),
            Deployments: deployments.Select((d, i) => new AdminDeploymentStatus(
                Id: d.Deployment.Id,
                Model: d.Model,
                Provider: d.Deployment.Provider,
                Circuit: statuses[i].State switch
                {
                    CircuitState.Open => "open",
                    CircuitState.HalfOpen => "half_open",
                    _ => "closed",
                },
                CooldownUntil: statuses[i].CooldownUntil?.ToUnixTimeSeconds(),
                InFlight: statuses[i].ClusterInFlight,
                LastFailure: statuses[i].LastFailure))));
    }
}
