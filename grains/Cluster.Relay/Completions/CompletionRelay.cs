using System.Runtime.CompilerServices;
using System.Text;
using Cluster.Grains.Runtime;
using Cluster.Relay.Cluster;
using Cluster.Relay.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Cluster.Relay.Completions;

/// <summary>
/// The request path of every completion, chat completion and embedding, run by the front-end that
/// received it: the bytes go from the backend to the client through this process only, while
/// grains keep what must be shared (limits, the ledger, session pins, deployment health). A silo
/// that dies therefore never cuts a response; at worst a grain call waits for its grain to move.
/// A non-streamed request is the same path with one chunk: the whole body.
/// <code>
///  1. Admit     the tenant's limiter admits the request, or the caller gets 429      RunAsync
///  2. Plan      each candidate model's usable deployments in routing order, the      PlanAsync
///               session's pin first (the pin is waited for only briefly); then the
///               request's precondition, if it has one, is awaited                   RunAsync
///  3. Attempt   per deployment: its capacity (deployment limits), the attempt        ReadyAttemptsAsync
///               budget and backoff; then the backend call under its timeouts:
///               first token, idle between chunks, total; counted in flight on the    RunAsync, NextAsync
///               deployment (<see cref="DeploymentBalancer.Begin"/>)
///  4. Relay     model names rewritten, the usage the gateway asked for stripped;     RunAsync
///               a failure before the first byte moves to the next attempt, after it
///               ends the response
///  5. Settle    the usage record is durable and the limiters settled before          RequestAccount
///               <see cref="RelayEventKind.Finished"/>, so a client that saw the end is billed
///  6. Close     a request that did not finish is billed for what reached a backend   CloseAsync
///               (estimated), or its leases are given back
/// </code>
/// </summary>
internal sealed partial class CompletionRelay(
    ProviderSet providers,
    DeploymentBalancer balancer,
    RelayServices services,
    IOptions<RoutingOptions> routing,
    ILogger<CompletionRelay> logger)
{
    private static readonly TokenUsage NoUsage = new(0, 0, 0, null, null, Estimated: false);
    private readonly RoutingOptions _routing = routing.Value;

    private TimeProvider Time => services.Time;

    /// <summary>
    /// Relays <paramref name="request"/> to the first of <paramref name="candidates"/> (the model,
    /// then its fallbacks) that serves it. Failures before <see cref="RelayEventKind.Started"/> are
    /// thrown as <see cref="GatewayException"/>s and the caller can still answer with an error status.
    /// </summary>
    public async IAsyncEnumerable<RelayEvent> RunAsync(CompletionRequest request, IReadOnlyList<ModelDefinition> candidates, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // 1. Admit.
        var account = new RequestAccount(request, services, Time.GetTimestamp());
        await account.AdmitAsync(candidates[0]).ConfigureAwait(false);

        var failures = new AttemptFailures();
        var text = new StringBuilder();

        // The backend is asked for usage on every stream; unless the client asked too, that usage
        // chunk and the "usage": null of the other chunks are not the client's to see.
        var gatewayAskedForUsage = request.Stream && request.StreamUsage != StreamUsageOption.Included;
        (ModelDefinition Model, DeploymentDefinition Deployment)? reached = null;
        GatewayException? failure = null;
        var finished = false;
        try
        {
            // 2. Plan.
            var plan = await PlanAsync(candidates, request, cancellationToken).ConfigureAwait(false);
            if (request.Precondition is { } precondition)
            {
                await precondition.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            // 3. Attempt.
            await foreach (var (model, deployment) in ReadyAttemptsAsync(plan, account, failures, cancellationToken).ConfigureAwait(false))
            {
                reached = (model, deployment);
                using var attempt = balancer.Begin(model, deployment, request.Prompt);
                // The timeouts run on the relay's clock: total, and the stage (first token, then idle between chunks).
                using var total = new CancellationTokenSource(deployment.Timeouts.Total, Time);
                using var stage = new CancellationTokenSource(deployment.Timeouts.FirstToken, Time);
                using var backend = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, total.Token, stage.Token);
                var begun = Time.GetTimestamp();
                var call = new UpstreamCall(model, deployment, request);
                var provider = providers.For(deployment);
                using var span = GenAiSpans.StartRequest(GenAiSpans.OperationName(request.Kind), request.RequestedModel, ProviderOf(deployment), request.SessionId, GenAiSpans.ApiName(request.Kind, request.ResponseId is not null));
                var upstream = (request.Stream ? provider.StreamAsync(call, backend.Token) : Unary(provider, call, backend.Token)).GetAsyncEnumerator(backend.Token);
                await using (upstream.ConfigureAwait(false))
                {
                    var step = await NextAsync(upstream, deployment, started: false, total, cancellationToken).ConfigureAwait(false);
                    if (step.Failure is { } refused)
                    {
                        LogAttemptFailed(logger, request.RequestId, deployment.Id, refused.Code, refused.Message);
                        span.SetError(refused.Code.ToString(), refused.Message);
                        if (!IsRetryable(refused))
                        {
                            // The backend's own 4xx: the caller's problem, passed through as it is.
                            failure = account.WithLimits(refused);
                            throw failure;
                        }

                        attempt.Failed(refused.Code.ToString(), refused.Code == GatewayErrorCode.RateLimited ? refused.RetryAfter ?? TimeSpan.FromSeconds(1) : null);
                        failures.Add(refused);
                        await account.LeaveDeploymentAsync().ConfigureAwait(false);
                        continue;
                    }

                    // 4. Relay.
                    attempt.RecordFirstToken(Time.GetElapsedTime(begun));
                    yield return RelayEvent.Started(deployment.Id, account.Limits);
                    var modelToken = ClientModelToken(request, model);
                    TokenUsage? usage = null;
                    while (step.HasData)
                    {
                        stage.CancelAfter(deployment.Timeouts.Idle);
                        var rewritten = ResponseRewriter.Rewrite(upstream.Current, modelToken, out var facts, text, dropNullUsage: gatewayAskedForUsage);
                        usage = facts.Usage ?? usage;
                        if (!(gatewayAskedForUsage && facts.Usage is not null && !facts.HasChoices))
                        {
                            yield return RelayEvent.Chunk(rewritten);
                        }

                        step = await NextAsync(upstream, deployment, started: true, total, cancellationToken).ConfigureAwait(false);
                        if (step.Failure is { } broken)
                        {
                            // The client has part of this answer: too late to move it; it ends with the error.
                            LogAttemptFailed(logger, request.RequestId, deployment.Id, broken.Code, broken.Message);
                            span.SetError(broken.Code.ToString(), broken.Message);
                            attempt.Failed(broken.Code.ToString(), null);
                            failure = account.WithLimits(broken);
                            throw failure;
                        }
                    }

                    // 5. Settle: durable before the client sees the end.
                    usage ??= Estimate(account, text);
                    span.SetResponse(call.UpstreamModel, null, usage.PromptTokens, usage.CompletionTokens);
                    attempt.RecordUsage(usage);
                    attempt.Succeeded();
                    await account.SettleAsync(model, deployment.Id, usage, "ok").ConfigureAwait(false);
                    plan.Confirm(model, deployment, ex => LogPinFailed(logger, ex));
                    finished = true;
                    yield return RelayEvent.Finished(usage);
                    yield break;
                }
            }

            failure = account.WithLimits(Exhausted(failures, candidates, request));
            throw failure;
        }
        finally
        {
            if (!finished)
            {
                // 6. Close.
                await CloseAsync(account, reached, failure, cancellationToken.IsCancellationRequested, text).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// The next element from the backend, or the failure that stopped it: a timeout (first token,
    /// idle or total) or a backend failure. Only the client's own cancellation is thrown.
    /// </summary>
    private static async ValueTask<Step> NextAsync(IAsyncEnumerator<byte[]> upstream, DeploymentDefinition deployment, bool started, CancellationTokenSource total, CancellationToken cancellationToken)
    {
        try
        {
            return new Step(await upstream.MoveNextAsync().ConfigureAwait(false), null);
        }
        catch (GatewayException ex)
        {
            return new Step(false, ex);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var timeouts = deployment.Timeouts;
            var reason = total.IsCancellationRequested
                ? $"The backend of deployment '{deployment.Id}' did not finish within {timeouts.Total.TotalSeconds:0.#} s."
                : started
                    ? $"The backend of deployment '{deployment.Id}' stopped sending for longer than {timeouts.Idle.TotalSeconds:0.#} s."
                    : $"The backend of deployment '{deployment.Id}' sent nothing within {timeouts.FirstToken.TotalSeconds:0.#} s.";
            return new Step(false, new GatewayException(GatewayErrorCode.UpstreamTimeout, reason));
        }
    }

    /// <summary>A non-streamed backend call as a stream of one chunk, so both kinds share one path.</summary>
    private static async IAsyncEnumerable<byte[]> Unary(IModelProvider provider, UpstreamCall call, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return await provider.CompleteAsync(call, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Ends a request that did not finish: what reached a backend is recorded (cut-short responses
    /// billed for the text generated, counted with the tokenizer and marked estimated); what never
    /// did gives its leases back. Never throws: the request's own outcome is what the caller sees.
    /// </summary>
    private async Task CloseAsync(RequestAccount account, (ModelDefinition Model, DeploymentDefinition Deployment)? reached, GatewayException? failure, bool cancelled, StringBuilder text)
    {
        try
        {
            if (reached is not { } last)
            {
                await account.ReleaseAsync().ConfigureAwait(false);
                return;
            }

            var status = cancelled ? "cancelled" : failure?.Code.ToString() ?? "error";
            var usage = cancelled || text.Length > 0 ? Estimate(account, text) : NoUsage;
            await account.SettleAsync(last.Model, last.Deployment.Id, usage, status).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogSettleFailed(logger, ex);
        }
    }

    /// <summary>
    /// The attempts for a request: each candidate model's usable deployments in routing order. A
    /// session's first model puts its pinned deployment first (pinning one on the session's first
    /// request); the session grain is asked only when there is a choice to make, and not waited for
    /// longer than <c>Routing:SessionLookupTimeoutMs</c>: a session whose grain is moving after a
    /// silo died is routed by the model's strategy and pinned again once served.
    /// </summary>
    private async Task<AttemptPlan> PlanAsync(IReadOnlyList<ModelDefinition> models, CompletionRequest request, CancellationToken cancellationToken)
    {
        var attempts = new List<(ModelDefinition, DeploymentDefinition)>();
        ISessionGrain? session = null;
        string? pinned = null;
        for (var m = 0; m < models.Count; m++)
        {
            await balancer.PrepareAsync(models[m], request.Prompt, cancellationToken).ConfigureAwait(false);
            var order = balancer.Order(models[m], request.Prompt);
            if (m == 0 && request.SessionId is { } sessionId && order.Count > 1)
            {
                session = services.Grains.Get<ISessionGrain>(ISessionGrain.KeyOf(request.Caller.Tenant, sessionId));

                // Counted on the deployment it ranked first while the session answers: requests ranked
                // meanwhile see it, so a burst of new sessions spreads out instead of all pinning the
                // one deployment that looked idle before any of them was counted.
                using (balancer.Begin(order[0]))
                {
                    pinned = await PinAsync(session, models[0].Name, order, request.RequestId, cancellationToken).ConfigureAwait(false);
                }

                if (pinned is not null && balancer.PinYields(models[0], request.Prompt, order, pinned))
                {
                    // Prefix-aware: the pin is overloaded, or another deployment holds far more of the
                    // prompt; the one that serves becomes the pin (AttemptPlan.Confirm).
                    LogPinYielded(logger, request.RequestId, pinned, order[0].Id);
                }
                else if (pinned is not null)
                {
                    order = [.. order.Where(d => d.Id == pinned), .. order.Where(d => d.Id != pinned)];
                }
            }

            foreach (var deployment in order)
            {
                attempts.Add((models[m], deployment));
            }
        }

        return new AttemptPlan(attempts, models[0], session, pinned);
    }

    /// <summary>The session's pin, or null when its grain did not answer in time (the plan then pins after serving).</summary>
    private async Task<string?> PinAsync(ISessionGrain session, string model, IReadOnlyList<DeploymentDefinition> order, string requestId, CancellationToken cancellationToken)
    {
        try
        {
            return await session.PinAsync(model, [.. order.Select(d => d.Id)])
                .WaitAsync(_routing.SessionLookupTimeout, Time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && (ex is TimeoutException || ClusterCalls.IsTransient(ex)))
        {
            LogSessionUnavailable(logger, requestId, ex.GetType().Name);
            return null;
        }
    }

    /// <summary>
    /// The plan's attempts that may go ahead: a deployment at its capacity is skipped (its refusal
    /// noted), the attempt budget (<c>Routing:MaxAttempts</c>) ends the sequence, and a retry waits
    /// out the backoff, doubling from <c>Routing:RetryBackoffMs</c>.
    /// </summary>
    private async IAsyncEnumerable<(ModelDefinition Model, DeploymentDefinition Deployment)> ReadyAttemptsAsync(
        AttemptPlan plan, RequestAccount account, AttemptFailures failures, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var (model, deployment) in plan.Attempts)
        {
            if (await account.TryTakeDeploymentAsync(model, deployment).ConfigureAwait(false) is { } full)
            {
                failures.Add(full);
                continue;
            }

            var attempt = failures.Attempts++;
            if (attempt >= _routing.MaxAttempts)
            {
                await account.LeaveDeploymentAsync().ConfigureAwait(false);
                yield break;
            }

            if (attempt > 0 && _routing.RetryBackoff > TimeSpan.Zero)
            {
                await Task.Delay(_routing.RetryBackoff * (1 << Math.Min(attempt - 1, 6)), services.Time, cancellationToken).ConfigureAwait(false);
            }

            yield return (model, deployment);
        }
    }

    private GatewayException Exhausted(AttemptFailures failures, IReadOnlyList<ModelDefinition> models, CompletionRequest request)
    {
        var final = failures.Final(request.Model);
        if (final.Code == GatewayErrorCode.NoHealthyDeployment)
        {
            var wait = models.Select(balancer.CooldownRemaining).Where(w => w is not null).Min();
            return new GatewayException(GatewayErrorCode.NoHealthyDeployment, $"Every deployment of '{request.RequestedModel}' is out of service for now; try again shortly.")
            {
                RetryAfter = wait ?? TimeSpan.FromSeconds(1),
            };
        }

        return final;
    }

    /// <summary>The backend's kind as the GenAI conventions name providers.</summary>
    private static string ProviderOf(DeploymentDefinition deployment) => deployment.ProviderKind switch
    {
        DeploymentProvider.AzureOpenAI => "azure.ai.openai",
        DeploymentProvider.OpenAI => "openai",
        _ => deployment.Provider,
    };

    /// <summary>Responses name the model the client asked for, or the fallback that served it.</summary>
    private static byte[] ClientModelToken(CompletionRequest request, ModelDefinition servedBy) =>
        JsonNames.Encode(servedBy.Name == request.Model ? request.RequestedModel : servedBy.Name);

    private static bool IsRetryable(GatewayException exception) =>
        exception.Code is GatewayErrorCode.UpstreamFailed or GatewayErrorCode.UpstreamTimeout or GatewayErrorCode.RateLimited or GatewayErrorCode.NoHealthyDeployment;

    /// <summary>Usage the backend did not report, counted with the tokenizer and marked estimated.</summary>
    private TokenUsage Estimate(RequestAccount account, StringBuilder text)
    {
        var completion = text.Length > 0 ? services.Tokens.Count(text.ToString()) : 0;
        var prompt = account.PromptTokens;
        return new TokenUsage(prompt, completion, prompt + completion, null, null, Estimated: true);
    }

    /// <summary>One step of a backend's response: more data, its end, or the failure that stopped it.</summary>
    private readonly record struct Step(bool HasData, GatewayException? Failure);

    [LoggerMessage(10, LogLevel.Warning, "Request {RequestId}: deployment {DeploymentId} failed with {Code}: {Reason}")]
    private static partial void LogAttemptFailed(ILogger logger, string requestId, string deploymentId, GatewayErrorCode code, string reason);

    [LoggerMessage(11, LogLevel.Error, "Settling a failed request's usage failed")]
    private static partial void LogSettleFailed(ILogger logger, Exception exception);

    [LoggerMessage(13, LogLevel.Warning, "Updating a session's pin failed; the next request of the session pins again")]
    private static partial void LogPinFailed(ILogger logger, Exception exception);

    [LoggerMessage(15, LogLevel.Debug, "Request {RequestId}: the session's pin {Pinned} yields to {Preferred} (prefix cache or load)")]
    private static partial void LogPinYielded(ILogger logger, string requestId, string pinned, string preferred);

    [LoggerMessage(12, LogLevel.Warning, "Request {RequestId}: the session grain did not answer in time ({Reason}); routed by the model's strategy, pinned after serving")]
    private static partial void LogSessionUnavailable(ILogger logger, string requestId, string reason);
}
