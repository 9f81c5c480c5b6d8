using System.Text.Json;
using Cluster.Grains.Errors;

namespace Cluster.Api.Admin;

/// <summary>
/// Reads the JSON body of an admin request (snake_case, any case). A body that does not read gets a
/// 400 naming the field that failed, as its JSON path (<c>deployments[0].provider</c>), beside why.
/// </summary>
internal static class AdminBodies
{
    private static readonly JsonSerializerOptions ReadOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        PropertyNameCaseInsensitive = true,
    };

    /// <summary>The body as <typeparamref name="T"/>; never null (an empty or <c>null</c> body is a 400 asking for <paramref name="what"/>).</summary>
    public static async Task<T> ReadAsync<T>(HttpContext context, string what)
        where T : class =>
        await ReadOrNullAsync<T>(context, what) ?? throw GatewayException.BadRequest($"Send {what} as a JSON object.", null);

    /// <summary>The body as <typeparamref name="T"/>, or null for a <c>null</c> body.</summary>
    public static async Task<T?> ReadOrNullAsync<T>(HttpContext context, string what)
        where T : class
    {
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(context.Request.Body, ReadOptions, context.RequestAborted);
        }
        catch (JsonException ex)
        {
            var field = ex.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : null;
            var reason = ex.Message.Split(" Path: ", 2)[0];
            throw GatewayException.BadRequest(
                field is null ? $"The body is not valid {what}: {reason}" : $"The body is not valid {what}: '{field}': {reason}",
                field);
        }
    }
}
