using Cluster.Grains.Sessions;

namespace Cluster.Api.Admin;

/// <summary><c>GET /admin/sessions/{id}?tenant=ID</c>: a session's pins and usage (tenant <c>default</c> when not given).</summary>
internal static class SessionAdminEndpoints
{
    public static RouteGroupBuilder MapSessionAdmin(this RouteGroupBuilder admin)
    {
        admin.MapGet("/sessions/{**id}", async (string id, HttpContext context, IGrainFactory grains) =>
        {
            var tenant = context.Request.Query["tenant"].ToString();
            var info = await grains.GetGrain<ISessionGrain>(ISessionGrain.KeyOf(tenant.Length == 0 ? "default" : tenant, id)).GetAsync();
            return Results.Json(new
            {
                id,
                @object = "session",
                tenant = tenant.Length == 0 ? "default" : tenant,
                pins = info.Pins,
                repins = info.Repins,
                requests = info.Requests,
                prompt_tokens = info.PromptTokens,
                completion_tokens = info.CompletionTokens,
                last_seen = info.LastSeen?.ToUnixTimeSeconds(),
            });
        });
        return admin;
    }
}
