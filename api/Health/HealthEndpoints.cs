using Cluster.Grains.Models;
using Cluster.Hosting.Drain;

namespace Cluster.Api.Health;

/// <summary>
/// <c>GET /health/live</c>: the process serves HTTP. <c>GET /health/ready</c>: the cluster answers
/// (the registry grain replies within two seconds), so requests can be served; 503 from the moment
/// the process begins to stop, so a load balancer sends no new requests while in-flight ones finish.
/// </summary>
internal static class HealthEndpoints
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(2);

    private static IResult Stopping => Results.Json(new HealthStatus("stopping", null), HealthJson.Default.HealthStatus, statusCode: StatusCodes.Status503ServiceUnavailable);

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/health/live", () => Results.Json(new HealthStatus("live", null), HealthJson.Default.HealthStatus));
        routes.MapGet("/health/ready", async (IGrainFactory grains, IHostApplicationLifetime lifetime, CancellationToken cancellationToken) =>
        {
            if (lifetime.IsDraining())
            {
                return Stopping;
            }

            try
            {
                var version = await grains.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key)
                    .GetVersionAsync().WaitAsync(ReadyTimeout, cancellationToken);
                return lifetime.IsDraining() ? Stopping : Results.Json(new HealthStatus("ready", version), HealthJson.Default.HealthStatus);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                return Results.Json(new HealthStatus("unavailable", null), HealthJson.Default.HealthStatus, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        });
        return routes;
    }
}

internal sealed record HealthStatus(string Status, long? CatalogVersion);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
[System.Text.Json.Serialization.JsonSerializable(typeof(HealthStatus))]
internal sealed partial class HealthJson : System.Text.Json.Serialization.JsonSerializerContext;
