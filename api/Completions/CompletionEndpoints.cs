using Cluster.Relay.Views;
using Cluster.Api.Auth;
using Cluster.Api.OpenAI;
using Cluster.Api.Telemetry;
using Cluster.Grains.Completions;
using Cluster.Relay.Completions;
using Cluster.Relay.Requests;

namespace Cluster.Api.Completions;

/// <summary>
/// <c>POST /chat/completions</c>, <c>/completions</c> and <c>/embeddings</c>: read and check the
/// body, authenticate, resolve the model, and run the request through the relay in this process;
/// write its answer, streamed as server-sent events when asked.
/// </summary>
internal static class CompletionEndpoints
{
    public static IEndpointRouteBuilder MapCompletions(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/chat/completions", (HttpContext context, CompletionHandler handler) => handler.HandleAsync(context, EndpointKind.ChatCompletions));
        routes.MapPost("/completions", (HttpContext context, CompletionHandler handler) => handler.HandleAsync(context, EndpointKind.Completions));
        routes.MapPost("/embeddings", (HttpContext context, CompletionHandler handler) => handler.HandleAsync(context, EndpointKind.Embeddings));
        return routes;
    }
}

/// <summary>The request path shared by the three endpoints; one instance per process.</summary>
internal sealed partial class CompletionHandler(
    CompletionRelay relay,
    ModelCatalogView catalog,
    CallerAuthenticator authenticator,
    GatewayMetrics metrics,
    TimeProvider time,
    ILogger<CompletionHandler> logger)
{
    public async Task HandleAsync(HttpContext context, EndpointKind kind)
    {
        var started = time.GetTimestamp();
        var requestId = RequestIds.Next();
        var response = context.Response;
        response.Headers["x-request-id"] = requestId;
        var aborted = context.RequestAborted;
        string model = "";
        var outcome = "error";
        TokenUsage? usage = null;
        var tenant = "";
        try
        {
            var caller = await authenticator.AuthenticateAsync(context);
            tenant = caller.Identity.Tenant;
            var body = await RequestBody.ReadAsync(context.Request, aborted);
            var parsed = RequestReader.Read(kind, body);
            model = parsed.Model;
            var (definition, candidates) = await RequestedModel.ResolveAsync(catalog, caller, parsed.Model);

            var request = new CompletionRequest(
                RequestId: requestId,
                Kind: kind,
                Model: definition.Name,
                RequestedModel: parsed.Model,
                Body: body,
                ModelToken: parsed.ModelToken,
                Stream: parsed.Stream,
                StreamUsage: parsed.StreamUsage,
                MaxTokens: parsed.MaxTokens,
                Caller: caller.Identity,
                SessionId: (context.Request.Headers["x-session-id"].FirstOrDefault() ?? parsed.PromptCacheKey ?? parsed.User) is { } session ? Grains.Sessions.ISessionGrain.BoundedId(session) : null,
                Prompt: PromptBlocks.Of(body.AsSpan(parsed.Prompt.Start, parsed.Prompt.Length)));
            var events = relay.RunAsync(request, candidates, aborted).GetAsyncEnumerator(aborted);
            await using (events)
            {
                (outcome, usage) = parsed.Stream
                    ? await StreamAsync(context, request, events, started)
                    : await CompleteAsync(context, request, events);
            }
        }
        catch (Exception) when (aborted.IsCancellationRequested)
        {
            outcome = "cancelled";
        }
        catch (Exception ex) when (!response.HasStarted)
        {
            // Answered by the error boundary (ErrorBoundaryMiddleware); only counted here.
            outcome = OpenAIErrors.Map(ex).Code.ToString();
            throw;
        }
        finally
        {
            metrics.RecordRequest(kind, model, outcome, time.GetElapsedTime(started), usage, tenant);
        }
    }

    /// <summary>A non-streamed response: the one chunk, written once its usage record is durable.</summary>
    private static async Task<(string Outcome, TokenUsage? Usage)> CompleteAsync(HttpContext context, CompletionRequest request, IAsyncEnumerator<RelayEvent> events)
    {
        var response = context.Response;
        byte[] body = [];
        while (await events.MoveNextAsync())
        {
            var current = events.Current;
            switch (current.Kind)
            {
                case RelayEventKind.Started:
                    WriteHeaders(response, request, current);
                    break;
                case RelayEventKind.Chunk:
                    body = current.Data!;
                    break;
                case RelayEventKind.Finished:
                    response.StatusCode = StatusCodes.Status200OK;
                    response.ContentType = "application/json";
                    response.ContentLength = body.Length;
                    await response.Body.WriteAsync(body, context.RequestAborted);
                    return ("ok", current.Usage);
            }
        }

        throw new InvalidOperationException("The relay ended without finishing the response.");
    }

    /// <summary>
    /// A streamed response. The relay's first event comes once a backend accepted the request, so any
    /// failure before it is still an ordinary error response, not a broken stream.
    /// </summary>
    private async Task<(string Outcome, TokenUsage? Usage)> StreamAsync(HttpContext context, CompletionRequest request, IAsyncEnumerator<RelayEvent> events, long started)
    {
        var response = context.Response;
        var aborted = context.RequestAborted;
        if (!await events.MoveNextAsync())
        {
            throw new InvalidOperationException("The relay ended without starting the response.");
        }

        WriteHeaders(response, request, events.Current);
        metrics.RecordFirstChunk(request.Kind, request.RequestedModel, time.GetElapsedTime(started), request.Caller.Tenant);
        SseWriter.StartStream(response);
        var writer = response.BodyWriter;
        try
        {
            var finished = await RelayEventPump.PumpAsync(events, writer, chunk => SseWriter.WriteEvent(writer, chunk.Data!), aborted);

            // Finished: the usage record is durable, so the client may see the end.
            SseWriter.WriteDone(writer);
            await writer.FlushAsync(aborted);
            return ("ok", finished.Usage);
        }
        catch (Exception ex) when (!aborted.IsCancellationRequested)
        {
            var error = OpenAIErrors.From(ex, logger);
            SseWriter.WriteEvent(writer, OpenAIErrors.Body(error));
            await writer.FlushAsync(aborted);
            return (error.Code.ToString(), null);
        }
    }

    private static void WriteHeaders(HttpResponse response, CompletionRequest request, RelayEvent started)
    {
        RateLimitHeaders.Write(response, started.Limits);
        if (request.SessionId is not null && started.DeploymentId is { } deployment)
        {
            response.Headers["x-session-deployment"] = deployment;
        }
    }
}
