using System.Text.Json.Nodes;
using Cluster.Api.Server;
using Cluster.Grains.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;

namespace Cluster.Tests.Server;

/// <summary>The one error boundary of the HTTP surface, on a bare <see cref="HttpContext"/>: no server, no cluster.</summary>
[Trait("Category", "Unit")]
public sealed class ErrorBoundaryMiddlewareTests
{
    [Fact]
    public async Task InvokeAsync_GatewayException_WritesItsStatusAndOpenAIError()
    {
        var context = NewContext();

        await Boundary(_ => throw new GatewayException(GatewayErrorCode.ModelNotFound, "no such model", "model")).InvokeAsync(context);

        Assert.Equal(404, context.Response.StatusCode);
        var error = ErrorOf(context);
        Assert.Equal("no such model", error["message"]!.GetValue<string>());
        Assert.Equal("invalid_request_error", error["type"]!.GetValue<string>());
        Assert.Equal("model", error["param"]!.GetValue<string>());
        Assert.Equal("model_not_found", error["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task InvokeAsync_HeadersSetBeforeTheFailure_AreKept()
    {
        var context = NewContext();

        await Boundary(c =>
        {
            c.Response.Headers["x-request-id"] = "req_1";
            throw GatewayException.BadRequest("bad", "messages");
        }).InvokeAsync(context);

        Assert.Equal(400, context.Response.StatusCode);
        Assert.Equal("req_1", context.Response.Headers["x-request-id"].ToString());
    }

    [Fact]
    public async Task InvokeAsync_ClusterPlumbingFailure_Answers503WithRetryAfter()
    {
        var context = NewContext();

        await Boundary(_ => throw new SiloUnavailableException("the silo is gone")).InvokeAsync(context);

        Assert.Equal(503, context.Response.StatusCode);
        Assert.Equal("cluster_unavailable", ErrorOf(context)["code"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(context.Response.Headers.RetryAfter.ToString()));
    }

    [Fact]
    public async Task InvokeAsync_BodyRefusedByKestrel_Answers413AndClosesTheConnection()
    {
        var context = NewContext();

        await Boundary(_ => throw new BadHttpRequestException("too large", StatusCodes.Status413PayloadTooLarge)).InvokeAsync(context);

        Assert.Equal(413, context.Response.StatusCode);
        Assert.Equal("request_too_large", ErrorOf(context)["code"]!.GetValue<string>());
        Assert.Equal("close", context.Response.Headers.Connection.ToString());
    }

    [Fact]
    public async Task InvokeAsync_UnexpectedException_Answers500WithoutItsMessage()
    {
        var context = NewContext();

        await Boundary(_ => throw new InvalidOperationException("secret internals")).InvokeAsync(context);

        Assert.Equal(500, context.Response.StatusCode);
        var error = ErrorOf(context);
        Assert.Equal("internal_error", error["code"]!.GetValue<string>());
        Assert.DoesNotContain("secret internals", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_ResponseAlreadyStarted_Rethrows()
    {
        var context = NewContext();
        var started = new StartedResponseFeature();
        context.Features.Set<IHttpResponseFeature>(started);

        await Assert.ThrowsAsync<InvalidOperationException>(() => Boundary(_ => throw new InvalidOperationException("mid-stream")).InvokeAsync(context));
    }

    [Fact]
    public async Task InvokeAsync_ClientGone_WritesNothing()
    {
        using var aborted = new CancellationTokenSource();
        var context = NewContext();
        context.RequestAborted = aborted.Token;
        await aborted.CancelAsync();

        await Boundary(_ => throw new OperationCanceledException()).InvokeAsync(context);

        Assert.Equal(0, context.Response.Body.Length);
    }

    private static ErrorBoundaryMiddleware Boundary(RequestDelegate next) => new(next, NullLogger<ErrorBoundaryMiddleware>.Instance);

    private static DefaultHttpContext NewContext() => new() { Response = { Body = new MemoryStream() } };

    private static JsonObject ErrorOf(HttpContext context)
    {
        Assert.Equal("application/json", context.Response.ContentType);
        context.Response.Body.Position = 0;
        var json = JsonNode.Parse(context.Response.Body)!.AsObject();
        return json["error"]!.AsObject();
    }

    private sealed class StartedResponseFeature : HttpResponseFeature
    {
        public override bool HasStarted => true;
    }
}
