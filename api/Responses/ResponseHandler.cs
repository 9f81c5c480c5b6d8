using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using Cluster.Api.Auth;
using Cluster.Api.Completions;
using Cluster.Api.OpenAI;
using Cluster.Api.Telemetry;
using Cluster.Grains.Completions;
using Cluster.Grains.Errors;
using Cluster.Grains.Sessions;
using Cluster.Relay.Completions;
using Cluster.Relay.Providers;
using Cluster.Relay.Requests;
using Cluster.Relay.Views;

namespace Cluster.Api.Responses;

/// <summary>
/// <c>POST /responses</c>: one turn of the Responses API, served by a chat-completions backend.
/// <code>
///  1. Read      authenticate; parse and check the body (unsupported fields: 400)
///  2. Context   the chain (previous_response_id) or the conversation, from grain storage
///  3. Translate the context and this turn's input as one chat completion request (and, when a
///               deployment of the model speaks /responses natively, as one Responses request
///               with the whole context as input and store: false, see <see cref="NativeTurn"/>)
///  4. Relay     through <see cref="CompletionRelay"/>: limits, quotas, routing, the ledger
///               (one record, carrying the response and conversation ids), metrics and traces
///               as for chat; the chain's root is the session key, so a follow-up goes to the
///               deployment that served the turn before, or is replayed elsewhere when it is out
///  5. Answer    the response object, or its event stream; it is stored (store: true) and
///               appended to its conversation before the client sees it complete
/// </code>
/// </summary>
internal sealed class ResponseHandler(
    CompletionRelay relay,
    ModelCatalogView catalog,
    CallerAuthenticator authenticator,
    ResponseStore store,
    GatewayMetrics metrics,
    TimeProvider time,
    ILogger<ResponseHandler> logger)
{
    public async Task HandleAsync(HttpContext context)
    {
        var started = time.GetTimestamp();
        var requestId = RequestIds.Next();
        var http = context.Response;
        http.Headers["x-request-id"] = requestId;
        var aborted = context.RequestAborted;
        var model = "";
        var outcome = "error";
        TokenUsage? usage = null;
        var tenant = "";
        try
        {
            // 1. Read.
            var caller = await authenticator.AuthenticateAsync(context);
            tenant = caller.Identity.Tenant;
            var request = ResponseRequest.Parse(await RequestBody.ReadAsync(context.Request, aborted));
            model = request.Model;
            var (definition, candidates) = await RequestedModel.ResolveAsync(catalog, caller, request.Model);

            // 2. Context.
            var said = await store.ContextAsync(request, tenant);
            var responseId = ResponseIds.New(ResponseIds.Response);
            var chainRoot = said.ChainRoot ?? responseId;
            if (said.Items.Count == 0 && request.InputItems.Count == 0)
            {
                throw GatewayException.BadRequest("'input' is required: there is nothing to respond to.", "input");
            }

            // The retention index is written while the turn is translated and the backend works.
            var createdMs = store.NowMs;
            var prepared = store.PrepareAsync(request, responseId, createdMs);

            // 3. Translate.
            var chatBody = ChatTranslation.ChatBody(request, said.Items);
            var parsed = RequestReader.Read(EndpointKind.ChatCompletions, chatBody);
            var native = candidates.Any(m => m.Deployments.Any(d => d.Api == DeploymentApis.Responses)) ? NativeTurn.Body(request, said.Items) : null;
            var session = context.Request.Headers["x-session-id"].FirstOrDefault() ?? chainRoot;
            var completion = new CompletionRequest(
                RequestId: requestId,
                Kind: EndpointKind.ChatCompletions,
                Model: definition.Name,
                RequestedModel: request.Model,
                Body: chatBody,
                ModelToken: parsed.ModelToken,
                Stream: request.Stream,
                StreamUsage: parsed.StreamUsage,
                MaxTokens: parsed.MaxTokens,
                Caller: caller.Identity,
                SessionId: ISessionGrain.BoundedId(session),
                ResponseId: responseId,
                ConversationId: request.ConversationId,
                Prompt: PromptBlocks.Of(chatBody.AsSpan(parsed.Prompt.Start, parsed.Prompt.Length)),
                ResponsesBody: native,
                Precondition: said.Confirmed);
            var response = ResponseObject.InProgress(responseId, request, createdMs / 1000);

            // 4. Relay, 5. Answer.
            var events = relay.RunAsync(completion, candidates, aborted).GetAsyncEnumerator(aborted);
            await using (events)
            {
                var turn = new Turn(request, tenant, response, said, chainRoot, createdMs, prepared, started);
                (outcome, usage) = request.Stream
                    ? await StreamAsync(context, turn, events)
                    : await CompleteAsync(context, turn, events);
            }
        }
        catch (Exception) when (aborted.IsCancellationRequested)
        {
            outcome = "cancelled";
        }
        catch (Exception ex) when (!http.HasStarted)
        {
            var error = OpenAIErrors.From(ex, logger);
            outcome = error.Code.ToString();
            await OpenAIErrors.WriteAsync(context, error);
        }
        finally
        {
            metrics.RecordRequest(EndpointKind.ChatCompletions, model, outcome, time.GetElapsedTime(started), usage, tenant, responses: true);
        }
    }

    private async Task<(string Outcome, TokenUsage? Usage)> CompleteAsync(HttpContext context, Turn turn, IAsyncEnumerator<RelayEvent> events)
    {
        byte[] completion = [];
        while (await events.MoveNextAsync())
        {
            var current = events.Current;
            switch (current.Kind)
            {
                case RelayEventKind.Started:
                    RateLimitHeaders.Write(context.Response, current.Limits);
                    break;
                case RelayEventKind.Chunk:
                    completion = current.Data!;
                    break;
                case RelayEventKind.Finished:
                    ResponseObject.Complete(turn.Response, ChatOutput.FromCompletion(completion), current.Usage!, store.NowMs / 1000);
                    var body = await store.SaveAsync(turn.Request, turn.Tenant, turn.Response, turn.Context, turn.ChainRoot, turn.CreatedMs, turn.Prepared);
                    context.Response.StatusCode = StatusCodes.Status200OK;
                    context.Response.ContentType = "application/json";
                    context.Response.ContentLength = body.Length;
                    await context.Response.Body.WriteAsync(body, context.RequestAborted);
                    return ("ok", current.Usage);
            }
        }

        throw new InvalidOperationException("The relay ended without finishing the response.");
    }

    /// <summary>
    /// The event stream. The relay's first event comes once a backend accepted the turn, so a
    /// failure before it is still an ordinary error response; after it, a failure ends the stream
    /// with <c>response.failed</c>.
    /// </summary>
    private async Task<(string Outcome, TokenUsage? Usage)> StreamAsync(HttpContext context, Turn turn, IAsyncEnumerator<RelayEvent> events)
    {
        var aborted = context.RequestAborted;
        if (!await events.MoveNextAsync())
        {
            throw new InvalidOperationException("The relay ended without starting the response.");
        }

        RateLimitHeaders.Write(context.Response, events.Current.Limits);
        metrics.RecordFirstChunk(EndpointKind.ChatCompletions, turn.Request.Model, time.GetElapsedTime(turn.Started), turn.Tenant, responses: true);
        SseWriter.StartStream(context.Response);
        var stream = new ResponseStream(turn.Response);
        var writer = context.Response.BodyWriter;
        Write(writer, stream.Start());
        try
        {
            var finished = await RelayEventPump.PumpAsync(events, writer, chunk => Write(writer, stream.Add(JsonNode.Parse(chunk.Data!)!)), aborted);
            var closing = stream.Finish(finished.Usage!, store.NowMs / 1000);
            await store.SaveAsync(turn.Request, turn.Tenant, turn.Response, turn.Context, turn.ChainRoot, turn.CreatedMs, turn.Prepared);
            Write(writer, closing);
            await writer.FlushAsync(aborted);
            return ("ok", finished.Usage);
        }
        catch (Exception ex) when (!aborted.IsCancellationRequested)
        {
            var error = OpenAIErrors.From(ex, logger);
            Write(writer, [stream.Fail(error.Code == GatewayErrorCode.RateLimited ? "rate_limit_exceeded" : "server_error", error.Detail)]);
            await writer.FlushAsync(aborted);
            return (error.Code.ToString(), null);
        }
    }

    /// <summary>Writes events as OpenAI frames them: <c>event: {type}</c> and <c>data: {json}</c>.</summary>
    private static void Write(System.IO.Pipelines.PipeWriter writer, List<JsonObject> events)
    {
        foreach (var e in events)
        {
            writer.Write(Encoding.UTF8.GetBytes("event: " + e["type"]!.GetValue<string>() + "\n"));
            SseWriter.WriteEvent(writer, ResponsesJson.Bytes(e));
        }
    }

    /// <summary>What a turn needs once the backend answered.</summary>
    private sealed record Turn(ResponseRequest Request, string Tenant, JsonObject Response, TurnContext Context, string ChainRoot, long CreatedMs, Task Prepared, long Started);
}
