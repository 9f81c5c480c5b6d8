using System.Text.Json.Nodes;
using Cluster.Grains.Errors;

namespace Cluster.Api.Responses;

/// <summary>
/// The Responses API: <c>POST /responses</c> (one turn, streamed or not),
/// <c>GET /responses/{id}</c>, <c>DELETE /responses/{id}</c>, <c>GET /responses/{id}/input_items</c>
/// and <c>POST /responses/{id}/cancel</c> (no response runs in the background here, so none can be cancelled).
/// </summary>
internal static class ResponseEndpoints
{
    public static IEndpointRouteBuilder MapResponses(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/responses", (HttpContext context, ResponseHandler handler) => handler.HandleAsync(context));
        routes.MapGet("/responses/{id}", GetAsync);
        routes.MapDelete("/responses/{id}", DeleteAsync);
        routes.MapGet("/responses/{id}/input_items", InputItemsAsync);
        routes.MapPost("/responses/{id}/cancel", CancelAsync);
        return routes;
    }

    private static Task GetAsync(HttpContext context, string id, StateCalls calls, ResponseStore store) =>
        calls.RunAsync(context, async tenant => JsonNode.Parse((await FindAsync(store, id, tenant)).ResponseJson)!);

    private static Task DeleteAsync(HttpContext context, string id, StateCalls calls, ResponseStore store) =>
        calls.RunAsync(context, async tenant =>
        {
            if (!await store.DeleteAsync(id, tenant))
            {
                throw NotFound(id);
            }

            return new JsonObject { ["id"] = id, ["object"] = "response", ["deleted"] = true };
        });

    private static Task InputItemsAsync(HttpContext context, string id, StateCalls calls, ResponseStore store) =>
        calls.RunAsync(context, async tenant =>
        {
            var stored = await FindAsync(store, id, tenant);
            var items = JsonNode.Parse(stored.InputItemsJson)!.AsArray().Select(i => i!.AsObject()).ToList();
            return StateCalls.Page(context.Request, items);
        });

    private static Task CancelAsync(HttpContext context, string id, StateCalls calls, ResponseStore store) =>
        calls.RunAsync(context, async tenant =>
        {
            await FindAsync(store, id, tenant);
            throw GatewayException.BadRequest("Only responses created with background=true can be cancelled; this gateway runs none in the background.", null);
        });

    private static async Task<Grains.Responses.StoredResponse> FindAsync(ResponseStore store, string id, string tenant) =>
        ResponseIds.IsWellFormed(id, ResponseIds.Response) && await store.CallAsync(() => store.Response(id).GetAsync(tenant)) is { } stored
            ? stored
            : throw NotFound(id);

    private static GatewayException NotFound(string id) =>
        new(GatewayErrorCode.NotFound, $"Response with id '{id}' not found.", null);
}
