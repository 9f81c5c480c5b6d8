using Cluster.Api.Auth;
using Cluster.Api.OpenAI;

namespace Cluster.Api.Usage;

/// <summary><c>GET /usage</c>: the caller's own tenant's usage, never another's.</summary>
internal static class UsageEndpoints
{
    public static IEndpointRouteBuilder MapUsage(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/usage", async (HttpContext context, CallerAuthenticator authenticator, UsageQuery query, ILogger<UsageQuery> logger) =>
        {
            try
            {
                var caller = await authenticator.AuthenticateAsync(context);
                var report = await query.RunAsync(caller.Identity.Tenant, context.Request);
                context.Response.ContentType = "application/json";
                await context.Response.Body.WriteAsync(report.ToJson(), context.RequestAborted);
            }
            catch (Exception ex) when (!context.Response.HasStarted)
            {
                await OpenAIErrors.WriteAsync(context, OpenAIErrors.From(ex, logger));
            }
        });
        return routes;
    }
}
