using Cluster.Relay.Views;
using Cluster.Api.Auth;
using Cluster.Api.OpenAI;
using Cluster.Grains.Access;
using Cluster.Grains.Sessions;

namespace Cluster.Api.Usage;

/// <summary>
/// The caller's own tenant's usage and limits, never another's: <c>GET /usage</c> (totals and rows),
/// <c>/usage/series</c> (over time, by model and key), <c>/usage/records</c> (the ledger's recent
/// requests), <c>/usage/export</c> (CSV of <c>/usage</c>'s rows), <c>/limits</c> (live limit use) and
/// <c>/sessions/{id}</c> (a session of the tenant). The admin routes answer the same for any tenant.
/// </summary>
internal static class UsageEndpoints
{
    public static IEndpointRouteBuilder MapUsage(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/usage", (HttpContext context) => ForOwnTenantAsync(context, (tenant, services) =>
            WriteReportAsync(context, services.GetRequiredService<UsageQuery>(), tenant)));
        routes.MapGet("/usage/series", (HttpContext context) => ForOwnTenantAsync(context, async (tenant, services) =>
            await WriteJsonAsync(context, await UsageSeries.RunAsync(services.GetRequiredService<UsageQuery>(), tenant, context.Request))));
        routes.MapGet("/usage/records", (HttpContext context) => ForOwnTenantAsync(context, async (tenant, services) =>
            await WriteJsonAsync(context, await services.GetRequiredService<UsageRecordsQuery>().RunAsync(tenant, context.Request))));
        routes.MapGet("/usage/export", (HttpContext context) => ForOwnTenantAsync(context, (tenant, services) =>
            WriteCsvAsync(context, services.GetRequiredService<UsageQuery>(), tenant)));
        routes.MapGet("/limits", (HttpContext context) => ForOwnTenantAsync(context, async (tenant, services) =>
        {
            var access = await services.GetRequiredService<AccessView>().GetAsync();
            await WriteJsonAsync(context, await LimitUse.DescribeAsync(services.GetRequiredService<IGrainFactory>(), tenant, access));
        }));
        routes.MapGet("/sessions/{**id}", (string id, HttpContext context) => ForOwnTenantAsync(context, async (tenant, services) =>
            await WriteJsonAsync(context, await DescribeSessionAsync(services.GetRequiredService<IGrainFactory>(), tenant, id))));
        return routes;
    }

    public static async Task WriteReportAsync(HttpContext context, UsageQuery query, string tenant)
    {
        var report = await query.RunAsync(tenant, context.Request);
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(report.ToJson(), context.RequestAborted);
    }

    public static async Task WriteCsvAsync(HttpContext context, UsageQuery query, string tenant)
    {
        var report = await query.RunAsync(tenant, context.Request);
        context.Response.ContentType = "text/csv; charset=utf-8";
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"usage-{report.From:yyyyMMdd}-{report.To:yyyyMMdd}-{report.GroupBy.ToString().ToLowerInvariant()}.csv\"";
        await context.Response.Body.WriteAsync(report.ToCsv(), context.RequestAborted);
    }

    public static Task WriteJsonAsync(HttpContext context, object value) =>
        context.Response.WriteAsJsonAsync(value, value.GetType(), context.RequestAborted);

    public static async Task<SessionView> DescribeSessionAsync(IGrainFactory grains, string tenant, string id)
    {
        var info = await grains.GetGrain<ISessionGrain>(ISessionGrain.KeyOf(tenant, id)).GetAsync();
        return new SessionView(
            Id: id,
            Tenant: tenant,
            Pins: info.Pins,
            Repins: info.Repins,
            Requests: info.Requests,
            PromptTokens: info.PromptTokens,
            CompletionTokens: info.CompletionTokens,
            LastSeen: info.LastSeen?.ToUnixTimeSeconds());
    }

    /// <summary>Authenticates the caller and runs <paramref name="handler"/> for the caller's own tenant (never another's).</summary>
    private static async Task ForOwnTenantAsync(HttpContext context, Func<string, IServiceProvider, Task> handler)
    {
        var services = context.RequestServices;
        var caller = await services.GetRequiredService<CallerAuthenticator>().AuthenticateAsync(context);
        await handler(caller.Identity.Tenant, services);
    }
}
