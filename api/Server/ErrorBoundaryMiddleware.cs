using Cluster.Api.OpenAI;

namespace Cluster.Api.Server;

/// <summary>
/// The one error boundary of the HTTP surface: an exception that leaves an endpoint (or an endpoint
/// filter) before the response started becomes the OpenAI error JSON with its status, as
/// <see cref="OpenAIErrors"/> maps it — a <c>GatewayException</c> as it is, Kestrel's refusal of a
/// body as 413/408/400, the cluster's plumbing failures as 503, anything else as a 500 that shows
/// no details. Endpoints throw; none of them catches to write an error.
/// </summary>
/// <remarks>
/// Not ASP.NET Core's <c>UseExceptionHandler</c>: it clears the response first, and the headers an
/// endpoint set before it failed (<c>x-request-id</c>, the rate-limit headers) belong to the answer.
/// A stream whose headers are sent is not answered here: its writer ends it with an SSE error event,
/// and anything that still escapes aborts the connection, as it must once a 200 is on the wire.
/// </remarks>
internal sealed class ErrorBoundaryMiddleware(RequestDelegate next, ILogger<ErrorBoundaryMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            if (context.RequestAborted.IsCancellationRequested)
            {
                // The client is gone: there is no one to answer.
                return;
            }

            var error = OpenAIErrors.From(ex, logger);
            if (ex is BadHttpRequestException)
            {
                // What is left of the request body is not read: the connection cannot be reused.
                context.Response.Headers.Connection = "close";
            }

            await OpenAIErrors.WriteAsync(context, error);
        }
    }
}
