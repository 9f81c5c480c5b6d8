using Cluster.Api.Auth;
using Cluster.Api.OpenAI;
using Cluster.Api.Telemetry;
using Cluster.Grains.Completions;
using Cluster.Grains.Errors;
using Cluster.Grains.Models;
using Cluster.Hosting.Configuration;
using Microsoft.Extensions.Options;

namespace Cluster.Api.Completions;

/// <summary>
/// <c>POST /chat/completions</c>, <c>/completions</c> and <c>/embeddings</c>: read and check the
/// body, authenticate, resolve the model, and hand the request to a model grain; relay its answer,
/// streamed as server-sent events when asked.
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
    IGrainFactory grains,
    ModelCatalogView catalog,
    CallerAuthenticator authenticator,
    GatewayMetrics metrics,
    IOptions<ClusterHostOptions> host,
    TimeProvider time,
    ILogger<CompletionHandler> logger)
{
    private readonly int _shards = host.Value.ModelShards;

    // Only a pure client can lose the silo serving a request while staying up itself.
    private readonly bool _reportDispatch = host.Value.IsClient;
    private int _nextShard;

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
            var snapshot = await catalog.GetAsync();
            if (!snapshot.TryResolve(parsed.Model, out var definition))
            {
                // Perhaps a model added a moment ago through another front-end.
                snapshot = await catalog.GetFreshAsync();
            }

            if (!snapshot.TryResolve(parsed.Model, out definition))
            {
                throw new GatewayException(GatewayErrorCode.ModelNotFound, $"The model '{parsed.Model}' does not exist or you do not have access to it.", "model");
            }

            caller.EnsureMayUse(definition, parsed.Model);

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
                ReportDispatch: _reportDispatch);
            if (parsed.Stream)
            {
                (outcome, usage) = await StreamAsync(context, definition.Name, request);
            }
            else
            {
                var dispatched = false;
                var result = await ClusterRetry.RunAsync(
                    () => FirstAsync(grains.GetGrain<IModelGrain>(IModelGrain.KeyOf(definition.Name, NextShard())).CompletePolledAsync(request, aborted), () => dispatched = true, aborted),
                    aborted,
                    () => !dispatched);
                usage = result.Usage;
                RateLimitHeaders.Write(response, result.Limits);
                if (request.SessionId is not null)
                {
                    response.Headers["x-session-deployment"] = result.DeploymentId;
                }

                response.StatusCode = StatusCodes.Status200OK;
                response.ContentType = "application/json";
                response.ContentLength = result.Body.Length;
                await response.Body.WriteAsync(result.Body, aborted);
                outcome = "ok";
            }
        }
        catch (Exception) when (aborted.IsCancellationRequested)
        {
            outcome = "cancelled";
        }
        catch (Exception ex) when (!response.HasStarted)
        {
            var error = OpenAIErrors.From(ex, logger);
            outcome = error.Code.ToString();
            await OpenAIErrors.WriteAsync(context, error);
        }
        finally
        {
            metrics.RecordRequest(kind, model, outcome, time.GetElapsedTime(started), usage, tenant);
        }
    }

    private async Task<(string Outcome, TokenUsage? Usage)> StreamAsync(HttpContext context, string model, CompletionRequest request)
    {
        var response = context.Response;
        var aborted = context.RequestAborted;

        // The first pull returns once the backend accepted the request: any failure before it is
        // still an ordinary error response, not a broken stream, and a rejected call is retried.
        var dispatched = false;
        var (events, hasEvent) = await ClusterRetry.RunAsync(
            async () =>
        {
            var enumerator = grains.GetGrain<IModelGrain>(IModelGrain.KeyOf(model, NextShard())).StreamAsync(request, aborted).GetAsyncEnumerator(aborted);
            try
            {
                var has = await enumerator.MoveNextAsync();
                while (has && enumerator.Current.IsDispatchMarker)
                {
                    dispatched = true;
                    has = await enumerator.MoveNextAsync();
                }

                return (enumerator, has);
            }
            catch
            {
                await enumerator.DisposeAsync();
                throw;
            }
        },
            aborted,
            () => !dispatched);
        await using var disposeEvents = events;
        if (hasEvent)
        {
            RateLimitHeaders.Write(response, events.Current.Limits);
            if (request.SessionId is not null && events.Current.DeploymentId is { } deployment)
            {
                response.Headers["x-session-deployment"] = deployment;
            }
        }

        SseWriter.StartStream(response);
        var writer = response.BodyWriter;
        TokenUsage? usage = null;
        try
        {
            while (hasEvent)
            {
                var current = events.Current;
                if (current.IsTrailer)
                {
                    usage = current.Usage;
                }
                else
                {
                    SseWriter.WriteEvent(writer, current.Data);
                }

                var next = events.MoveNextAsync();
                if (!next.IsCompleted)
                {
                    // Flush only when the next event is not already here, so a batch leaves in one write.
                    await writer.FlushAsync(aborted);
                }

                hasEvent = await next;
            }

            SseWriter.WriteDone(writer);
            await writer.FlushAsync(aborted);
            return ("ok", usage);
        }
        catch (Exception ex) when (!aborted.IsCancellationRequested)
        {
            var error = OpenAIErrors.From(ex, logger);
            SseWriter.WriteEvent(writer, OpenAIErrors.Body(error));
            await writer.FlushAsync(aborted);
            return (error.Code.ToString(), usage);
        }
    }

    private static async Task<CompletionResult> FirstAsync(IAsyncEnumerable<CompletionResult> results, Action onDispatch, CancellationToken cancellationToken)
    {
        await foreach (var result in results.WithCancellation(cancellationToken))
        {
            if (result.IsDispatchMarker)
            {
                onDispatch();
                continue;
            }

            return result;
        }

        throw new InvalidOperationException("The model grain ended without a result.");
    }

    private int NextShard() => _shards == 1 ? 0 : (int)((uint)Interlocked.Increment(ref _nextShard) % (uint)_shards);
}
