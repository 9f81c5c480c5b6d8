using Cluster.Relay.Views;
using System.Buffers;
using System.Text.Json;
using Cluster.Api.Auth;
using Cluster.Api.OpenAI;
using Cluster.Grains.Errors;
using Cluster.Grains.Models;

namespace Cluster.Api.Models;

/// <summary><c>GET /models</c> and <c>GET /models/{id}</c>: the models (and aliases) the caller may use, as OpenAI model objects.</summary>
internal static class ModelEndpoints
{
    public static IEndpointRouteBuilder MapModels(this IEndpointRouteBuilder routes)
    {
        // HEAD as well: clients and load balancers probe the list with it.
        routes.MapMethods("/models", [HttpMethods.Get, HttpMethods.Head], ListAsync);
        routes.MapMethods("/models/{**id}", [HttpMethods.Get, HttpMethods.Head], GetAsync);
        return routes;
    }

    private static async Task ListAsync(HttpContext context, ModelCatalogView catalog, CallerAuthenticator authenticator)
    {
        var caller = await authenticator.AuthenticateAsync(context);
        var snapshot = await catalog.GetAsync();
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("object", "list");
            json.WriteStartArray("data");
            foreach (var model in snapshot.Models.Where(caller.MayUse))
            {
                WriteModel(json, model.Name, model);
                foreach (var alias in model.Aliases)
                {
                    WriteModel(json, alias, model);
                }
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        await WriteJsonAsync(context, buffer.WrittenMemory);
    }

    private static async Task GetAsync(HttpContext context, string id, ModelCatalogView catalog, CallerAuthenticator authenticator)
    {
        // Clients that escape the id (the .NET OpenAI SDK) send "org%2Fmodel"; Kestrel never decodes %2F.
        id = id.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        var caller = await authenticator.AuthenticateAsync(context);
        var snapshot = await catalog.GetAsync();
        if (!snapshot.TryResolve(id, out var model) || !caller.MayUse(model))
        {
            throw new GatewayException(GatewayErrorCode.ModelNotFound, $"The model '{id}' does not exist or you do not have access to it.", "model");
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            WriteModel(json, id, model);
        }

        await WriteJsonAsync(context, buffer.WrittenMemory);
    }

    private static void WriteModel(Utf8JsonWriter json, string id, ModelDefinition model)
    {
        json.WriteStartObject();
        json.WriteString("id", id);
        json.WriteString("object", "model");
        json.WriteNumber("created", model.Created);
        json.WriteString("owned_by", model.OwnedBy);
        json.WriteEndObject();
    }

    private static async Task WriteJsonAsync(HttpContext context, ReadOnlyMemory<byte> body)
    {
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }
}
