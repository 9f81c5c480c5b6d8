namespace Cluster.Api.Console;

/// <summary>
/// <c>/ui/</c>: the browser console, static files embedded in this assembly at build time (the
/// build runs <c>npm ci</c> for its libraries when needed; nothing is fetched at run time, no CDN).
/// Every response carries a strict Content-Security-Policy: scripts, styles and calls only from
/// this origin, no inline script, no framing. The console holds its key in the tab's
/// sessionStorage and sends it as a bearer header (no cookies), so requests cannot be forged cross-site.
/// </summary>
internal static class ConsoleEndpoints
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private const string ResourcePrefix = "console/";

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
    };

    public static IEndpointRouteBuilder MapConsole(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/ui/{**path}", ServeAsync);
        return routes;
    }

    private static async Task ServeAsync(HttpContext context, string? path)
    {
        var response = context.Response;
        if (!context.Request.Path.Value!.StartsWith("/ui/", StringComparison.Ordinal))
        {
            // "/ui": the page's relative links need the slash.
            response.Redirect("/ui/");
            return;
        }

        var name = string.IsNullOrEmpty(path) ? "index.html" : path;
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-cache";

        await using var stream = ContentTypes.TryGetValue(Path.GetExtension(name), out var contentType)
            ? typeof(ConsoleEndpoints).Assembly.GetManifestResourceStream(ResourcePrefix + name)
            : null;
        if (stream is null)
        {
            // No body here: the status-code page writer answers with the OpenAI-shaped 404.
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        response.ContentType = contentType;
        response.ContentLength = stream.Length;
        await stream.CopyToAsync(response.Body, context.RequestAborted);
    }
}
