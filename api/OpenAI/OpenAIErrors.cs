using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Cluster.Grains.Errors;
using Orleans.Runtime;

namespace Cluster.Api.OpenAI;

/// <summary>
/// The one place that turns failures into OpenAI error bodies and statuses: the table from
/// <see cref="GatewayErrorCode"/> to status, type and code, the mapping of cluster and Kestrel
/// exceptions into that vocabulary, and the writer. Nothing else writes an error body.
/// </summary>
internal static partial class OpenAIErrors
{
    public static (int Status, string Type, string? Code) Describe(GatewayErrorCode code) => code switch
    {
        GatewayErrorCode.InvalidRequest => (400, "invalid_request_error", null),
        GatewayErrorCode.InvalidApiKey => (401, "invalid_request_error", "invalid_api_key"),
        GatewayErrorCode.ModelNotAllowed => (403, "invalid_request_error", "model_not_allowed"),
        GatewayErrorCode.ModelNotFound => (404, "invalid_request_error", "model_not_found"),
        GatewayErrorCode.RequestTooLarge => (413, "invalid_request_error", "request_too_large"),
        GatewayErrorCode.UnsupportedByModel => (400, "invalid_request_error", "unsupported_model"),
        GatewayErrorCode.NotFound => (404, "invalid_request_error", "not_found"),
        GatewayErrorCode.AdminKeyRequired => (403, "invalid_request_error", "admin_key_required"),
        GatewayErrorCode.RequestTimeout => (408, "invalid_request_error", "request_timeout"),
        GatewayErrorCode.UnsupportedMediaType => (415, "invalid_request_error", "unsupported_content_encoding"),
        GatewayErrorCode.HeadersTooLarge => (431, "invalid_request_error", "request_headers_too_large"),
        GatewayErrorCode.UriTooLong => (414, "invalid_request_error", "request_uri_too_long"),
        GatewayErrorCode.TooManyFailedAuthentications => (429, "invalid_request_error", "too_many_failed_authentications"),
        GatewayErrorCode.RateLimited => (429, "rate_limit_error", "rate_limit_exceeded"),
        GatewayErrorCode.InsufficientQuota => (429, "insufficient_quota", "insufficient_quota"),
        GatewayErrorCode.UpstreamFailed => (502, "api_error", "upstream_error"),
        GatewayErrorCode.UpstreamTimeout => (504, "api_error", "upstream_timeout"),
        GatewayErrorCode.UpstreamRejected => (400, "invalid_request_error", "upstream_rejected"),
        GatewayErrorCode.NoHealthyDeployment => (503, "api_error", "no_healthy_deployment"),
        GatewayErrorCode.ClusterUnavailable => (503, "api_error", "cluster_unavailable"),
        _ => (500, "api_error", "internal_error"),
    };

    /// <summary>Any exception as a <see cref="GatewayException"/>; unexpected ones are logged and hidden.</summary>
    public static GatewayException From(Exception exception, ILogger logger)
    {
        var error = Map(exception);
        if (exception is not (GatewayException or BadHttpRequestException))
        {
            if (error.Code == GatewayErrorCode.ClusterUnavailable)
            {
                LogClusterUnavailable(logger, exception.GetType().Name, exception.Message);
            }
            else
            {
                LogUnexpected(logger, exception);
            }
        }

        return error;
    }

    /// <summary>
    /// The error an exception is answered with: a <see cref="GatewayException"/> as it is; Kestrel's
    /// refusals of a request body (413, 408, 400); the cluster's plumbing failures (a timeout, or
    /// what <see cref="Cluster.Relay.Cluster.ClusterCalls.IsTransient"/> recognises) as 503; anything
    /// else as an internal error whose details are not shown. Logs nothing (see <see cref="From"/>).
    /// </summary>
    public static GatewayException Map(Exception exception) => exception switch
    {
        GatewayException gateway => gateway,
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
            new GatewayException(GatewayErrorCode.RequestTooLarge, "The request body is too large."),
        BadHttpRequestException { StatusCode: StatusCodes.Status408RequestTimeout } =>
            new GatewayException(GatewayErrorCode.RequestTimeout, "The request body arrived too slowly."),
        BadHttpRequestException bad => GatewayException.BadRequest($"The request could not be read: {bad.Message}", null),
        TimeoutException => new GatewayException(GatewayErrorCode.ClusterUnavailable, "The cluster did not answer in time; try again.")
        {
            RetryAfter = TimeSpan.FromSeconds(1),
        },

        // The one classification of the cluster's plumbing failures, shared with the retries.
        _ when Cluster.Relay.Cluster.ClusterCalls.IsTransient(exception) => ClusterUnavailable(),
        _ => new GatewayException(GatewayErrorCode.Internal, "The gateway failed to process the request."),
    };

    /// <summary>Writes the error as the whole response: status, Retry-After, and the JSON body.</summary>
    public static async Task WriteAsync(HttpContext context, GatewayException error)
    {
        var response = context.Response;
        RateLimitHeaders.Write(response, error.Limits);
        var (status, _, _) = Describe(error.Code);
        if (error.Code == GatewayErrorCode.UpstreamRejected && error.UpstreamStatus is { } upstreamStatus && IsJsonObject(error.UpstreamBody))
        {
            // A backend's 4xx (context too long, bad parameter) reaches the caller as it was.
            response.StatusCode = upstreamStatus;
            response.ContentType = "application/json";
            await response.Body.WriteAsync(error.UpstreamBody);
            return;
        }

        response.StatusCode = error.Code == GatewayErrorCode.UpstreamRejected && error.UpstreamStatus is { } passthrough ? passthrough : status;
        if (error.RetryAfter is { } retryAfter)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
            response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            response.Headers["retry-after-ms"] = Math.Max(0, (long)Math.Ceiling(retryAfter.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);
        }

        response.ContentType = "application/json";
        await response.Body.WriteAsync(Body(error));
    }

    /// <summary>The error as the JSON of one server-sent event, for failures after a stream began.</summary>
    public static byte[] Body(GatewayException error)
    {
        var (_, type, code) = Describe(error.Code);
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteStartObject("error");
            json.WriteString("message", error.Detail);
            json.WriteString("type", type);
            if (error.Param is null)
            {
                json.WriteNull("param");
            }
            else
            {
                json.WriteString("param", error.Param);
            }

            if ((error.OpenAICode ?? code) is { } errorCode)
            {
                json.WriteString("code", errorCode);
            }
            else
            {
                json.WriteNull("code");
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Errors for requests no route matched, and for the status pages Kestrel would otherwise leave empty.</summary>
    public static async Task WriteStatusAsync(HttpContext context)
    {
        var response = context.Response;
        if (response.HasStarted || response.ContentLength is not null || response.ContentType is not null)
        {
            return;
        }

        var error = response.StatusCode switch
        {
            StatusCodes.Status404NotFound => new GatewayException(GatewayErrorCode.NotFound, $"Unknown route: {context.Request.Method} {context.Request.Path}."),
            StatusCodes.Status405MethodNotAllowed => GatewayException.BadRequest($"The method {context.Request.Method} is not allowed on {context.Request.Path}.", null),
            StatusCodes.Status413PayloadTooLarge => new GatewayException(GatewayErrorCode.RequestTooLarge, "The request body is too large."),
            StatusCodes.Status400BadRequest => GatewayException.BadRequest("The request could not be read.", null),
            StatusCodes.Status408RequestTimeout => new GatewayException(GatewayErrorCode.RequestTimeout, "The request arrived too slowly."),
            StatusCodes.Status415UnsupportedMediaType => new GatewayException(GatewayErrorCode.UnsupportedMediaType, "The request's media type or content encoding is not supported."),
            StatusCodes.Status431RequestHeaderFieldsTooLarge => new GatewayException(GatewayErrorCode.HeadersTooLarge, "The request headers are too large."),
            _ => null,
        };
        if (error is not null)
        {
            // The status stays as routing or Kestrel set it (404, 405, 413); only the body is ours.
            // (It cannot be restored after WriteAsync: by then the response has started.)
            response.ContentType = "application/json";
            await response.Body.WriteAsync(Body(error));
        }
    }

    public static GatewayException ClusterUnavailable() =>
        new(GatewayErrorCode.ClusterUnavailable, "The cluster is unavailable right now; try again shortly.")
        {
            RetryAfter = TimeSpan.FromSeconds(2),
        };

    private static bool IsJsonObject(byte[]? body)
    {
        if (body is not { Length: > 0 })
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    [LoggerMessage(100, LogLevel.Warning, "Cluster unavailable: {ExceptionType}: {Reason}")]
    private static partial void LogClusterUnavailable(ILogger logger, string exceptionType, string reason);

    [LoggerMessage(101, LogLevel.Error, "Unexpected failure")]
    private static partial void LogUnexpected(ILogger logger, Exception exception);
}
