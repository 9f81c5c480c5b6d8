using Cluster.Grains.Errors;

namespace Cluster.Api.Completions;

/// <summary>Reads a request body into one exactly sized array (it crosses the grain call as is).</summary>
internal static class RequestBody
{
    public static async Task<byte[]> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } length)
        {
            if (length == 0)
            {
                throw GatewayException.BadRequest("The request body is empty; send a JSON object.", null);
            }

            var limit = request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
            if (length > limit)
            {
                // The body stays unread and Kestrel will not drain more than the limit: without this
                // the connection is dropped after the response and a client that reuses it fails.
                request.HttpContext.Response.Headers.Connection = "close";
                throw new GatewayException(GatewayErrorCode.RequestTooLarge, $"The request body is too large ({length} bytes; the limit is {limit}).");
            }

            var body = new byte[length];
            var read = 0;
            while (read < body.Length)
            {
                var n = await request.Body.ReadAsync(body.AsMemory(read), cancellationToken);
                if (n == 0)
                {
                    throw GatewayException.BadRequest("The request body ended before its Content-Length.", null);
                }

                read += n;
            }

            return body;
        }

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }
}
