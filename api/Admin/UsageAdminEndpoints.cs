using Cluster.Api.Usage;
using Cluster.Grains.Errors;

namespace Cluster.Api.Admin;

/// <summary>
/// <c>/admin/usage</c>, <c>/admin/usage/series</c>, <c>/admin/usage/records</c>, <c>/admin/usage/export</c>:
/// the tenant routes' answers for any tenant (<c>?tenant=ID</c>).
/// </summary>
internal static class UsageAdminEndpoints
{
    public static RouteGroupBuilder MapUsageAdmin(this RouteGroupBuilder admin)
    {
        admin.MapGet("/usage", (HttpContext context, UsageQuery query) => UsageEndpoints.WriteReportAsync(context, query, Tenant(context)));
        admin.MapGet("/usage/series", async (HttpContext context, UsageQuery query) =>
            await UsageEndpoints.WriteJsonAsync(context, await UsageSeries.RunAsync(query, Tenant(context), context.Request)));
        admin.MapGet("/usage/records", async (HttpContext context, UsageRecordsQuery records) =>
            await UsageEndpoints.WriteJsonAsync(context, await records.RunAsync(Tenant(context), context.Request)));
        admin.MapGet("/usage/export", (HttpContext context, UsageQuery query) => UsageEndpoints.WriteCsvAsync(context, query, Tenant(context)));
        return admin;
    }

    private static string Tenant(HttpContext context)
    {
        var tenant = context.Request.Query["tenant"].ToString();
        return tenant.Length > 0 ? tenant : throw GatewayException.BadRequest("Name the tenant: /admin/usage?tenant=ID.", "tenant");
    }
}
