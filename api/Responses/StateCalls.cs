using System.Text.Json.Nodes;
using Cluster.Api.Auth;
using Cluster.Api.OpenAI;

namespace Cluster.Api.Responses;

/// <summary>
/// The frame of the routes that read or change stored responses and conversations: authenticate,
/// run, and answer any failure with the OpenAI error shape.
/// </summary>
internal sealed class StateCalls(CallerAuthenticator authenticator, ILogger<StateCalls> logger)
{
    public async Task RunAsync(HttpContext context, Func<string, Task<JsonNode>> call)
    {
        context.Response.Headers["x-request-id"] = RequestIds.Next();
        try
        {
            var caller = await authenticator.AuthenticateAsync(context);
            var body = ResponsesJson.Bytes(await call(caller.Identity.Tenant));
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body, context.RequestAborted);
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            await OpenAIErrors.WriteAsync(context, OpenAIErrors.From(ex, logger));
        }
    }

    /// <summary>A JSON object body, or a 400.</summary>
    public static async Task<JsonObject> ReadObjectAsync(HttpContext context, bool optional = false)
    {
        if (optional && context.Request.ContentLength is 0 or null && !context.Request.Headers.TransferEncoding.Any())
        {
            return [];
        }

        var bytes = await Completions.RequestBody.ReadAsync(context.Request, context.RequestAborted);
        try
        {
            return JsonNode.Parse(bytes) as JsonObject ?? throw Grains.Errors.GatewayException.BadRequest("The request body must be a JSON object.", null);
        }
        catch (System.Text.Json.JsonException)
        {
            throw Grains.Errors.GatewayException.BadRequest("We could not parse the JSON body of your request. The body must be valid JSON.", null);
        }
    }

    /// <summary>
    /// One page of a list (<c>limit</c> 1–100, default 20; <c>order</c> asc or desc, default desc;
    /// <c>after</c> an item id), as the list object OpenAI returns.
    /// </summary>
    public static JsonObject Page(HttpRequest request, IReadOnlyList<JsonObject> items)
    {
        var query = request.Query;
        var limit = 20;
        if (query["limit"].FirstOrDefault() is { } limitText && (!int.TryParse(limitText, System.Globalization.CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 100))
        {
            throw Grains.Errors.GatewayException.BadRequest("'limit' must be an integer from 1 to 100.", "limit");
        }

        var order = query["order"].FirstOrDefault() ?? "desc";
        if (order is not ("asc" or "desc"))
        {
            throw Grains.Errors.GatewayException.BadRequest("'order' must be 'asc' or 'desc'.", "order");
        }

        IEnumerable<JsonObject> ordered = order == "asc" ? items : items.Reverse();
        if (query["after"].FirstOrDefault() is { } after)
        {
            var list = ordered.ToList();
            var at = list.FindIndex(i => i["id"]?.GetValue<string>() == after);
            if (at < 0)
            {
                throw Grains.Errors.GatewayException.BadRequest($"No item with id '{after}' in this list.", "after");
            }

            ordered = list.Skip(at + 1);
        }

        var rest = ordered.ToList();
        var page = rest.Take(limit).ToList();
        return new JsonObject
        {
            ["object"] = "list",
            ["data"] = new JsonArray([.. page.Select(i => (JsonNode)i.DeepClone())]),
            ["first_id"] = page.Count > 0 ? page[0]["id"]!.GetValue<string>() : "",
            ["last_id"] = page.Count > 0 ? page[^1]["id"]!.GetValue<string>() : "",
            ["has_more"] = rest.Count > page.Count,
        };
    }
}
