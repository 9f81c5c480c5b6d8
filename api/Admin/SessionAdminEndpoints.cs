using Cluster.Api.Usage;

namespace Cluster.Api.Admin;

/// <summary><c>GET /admin/sessions/{id}?tenant=ID</c>: a session's pins and usage (tenant <c>default</c> when not given).</summary>
internal static class SessionAdminEndpoints
{
    public static RouteGroupBuilder MapSessionAdmin(this RouteGroupBuilder admin)
    {
        admin.MapGet("/sessions/{**id}", async (string id, HttpContext context, IGrainFactory grains) =>
        {
            var tenant = context.Request.Query["tenant"].ToString();
            return Results.Json(await UsageEndpoints.DescribeSessionAsync(grains, tenant.Length == 0 ? "default" : tenant, id));
        });
        return admin;
    }
}
