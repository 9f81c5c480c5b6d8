using Cluster.Api.OpenAI;
using Cluster.Grains.Errors;
using Microsoft.Extensions.Options;

namespace Cluster.Api.Server;

/// <summary>
/// Holds every request to the <see cref="ServerOptions"/> header and request-line limits. Kestrel's
/// own limits are set above these, so the usual oversized request gets the gateway's JSON 431 or
/// 414 rather than Kestrel's empty one. (A body Kestrel refuses while the app reads it is answered
/// by <see cref="ErrorBoundaryMiddleware"/>.)
/// </summary>
internal sealed class RequestLimitsMiddleware(RequestDelegate next, IOptions<ServerOptions> options)
{
    private readonly ServerOptions _options = options.Value;

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var line = request.Path.Value?.Length + request.PathBase.Value?.Length + request.QueryString.Value?.Length ?? 0;
        if (line > _options.MaxRequestLineBytes)
        {
            await RefuseAsync(context, new GatewayException(GatewayErrorCode.UriTooLong, $"The request path and query are too long (the limit is {_options.MaxRequestLineBytes} bytes)."));
            return;
        }

        if (request.Headers.Count > _options.MaxRequestHeaderCount)
        {
            await RefuseAsync(context, new GatewayException(GatewayErrorCode.HeadersTooLarge, $"The request has too many headers ({request.Headers.Count}; the limit is {_options.MaxRequestHeaderCount})."));
            return;
        }

        long size = 0;
        foreach (var (name, values) in request.Headers)
        {
            size += name.Length;
            foreach (var value in values)
            {
                size += value?.Length ?? 0;
            }
        }

        if (size > _options.MaxRequestHeadersBytes)
        {
            await RefuseAsync(context, new GatewayException(GatewayErrorCode.HeadersTooLarge, $"The request headers are too large (the limit is {_options.MaxRequestHeadersBytes} bytes in total)."));
            return;
        }

        await next(context);
    }

    private static Task RefuseAsync(HttpContext context, GatewayException error)
    {
        // What is left of the request is not read: the connection cannot be reused.
        context.Response.Headers.Connection = "close";
        return OpenAIErrors.WriteAsync(context, error);
    }
}
