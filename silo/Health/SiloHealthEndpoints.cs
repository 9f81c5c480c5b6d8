namespace Cluster.Silo.Health;

/// <summary>
/// <c>GET /health/live</c>: the process serves HTTP. <c>GET /health/ready</c>: 200 when the silo
/// can take work (<see cref="SiloReadiness"/>), else 503 with the reason; 503 from the moment
/// the process begins to stop.
/// </summary>
internal static class SiloHealthEndpoints
{
    public static IEndpointRouteBuilder MapSiloHealth(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/health/live", () => Results.Json(new SiloHealthStatus("live", null, null), SiloHealthJson.Default.SiloHealthStatus));
        routes.MapGet("/health/ready", async (SiloReadiness readiness, CancellationToken cancellationToken) =>
        {
            var health = await readiness.CheckAsync(cancellationToken);
            return Results.Json(health, SiloHealthJson.Default.SiloHealthStatus,
                statusCode: health.IsReady ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        return routes;
    }
}
