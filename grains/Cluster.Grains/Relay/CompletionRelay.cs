using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using Cluster.Grains.Completions;
using Cluster.Grains.Errors;
using Cluster.Grains.Models;
using Cluster.Grains.Providers;
using Cluster.Grains.Routing;
using Cluster.Grains.Sessions;
using Microsoft.Extensions.Logging;

namespace Cluster.Grains.Relay;

/// <summary>
/// Relays one request to a backend: admits it against its tenant's limits, picks deployments in
/// routing order (skipping full ones), fails over before the first byte, enforces the deployment's
/// timeouts, rewrites model names, pumps streams, and settles usage in the ledger and the limiters
/// before the response completes. Runs off the grain scheduler (it touches no grain state).
/// </summary>
internal sealed partial class CompletionRelay(
    ModelCatalogView catalog,
    ProviderSet providers,
    DeploymentBalancer balancer,
    RelayServices services,
    Microsoft.Extensions.Options.IOptions<RoutingOptions> routing,
    ILogger<CompletionRelay> logger)
{
    private readonly RoutingOptions _routing = routing.Value;

    private const int StreamBuffer = 256;
    private static readonly TokenUsage NoUsage = new(0, 0, 0, null, null, Estimated: false);

    private TimeProvider Time => services.Time;

    public async Task<CompletionResult> CompleteAsync(CompletionRequest request, CancellationToken cancellationToken, Action? onDispatch = null)
    {
        var account = new RequestAccount(request, services, Time.GetTimestamp());
        var models = await CandidatesAsync(request).ConfigureAwait(false);
        await account.AdmitAsync(models[0]).ConfigureAwait(false);
        var failures = new AttemptFailures();
        (ModelDefinition Model, DeploymentDefinition Deployment)? last = null;
        try
        {
            var plan = await PlanAsync(models, request).ConfigureAwait(false);
            await foreach (var (model, deployment) in ReadyAttemptsAsync(plan, account, failures, cancellationToken).ConfigureAwait(false))
            {
                last = (model, deployment);
                using var lease = balancer.Acquire(deployment);
                using var total = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                total.CancelAfter(deployment.Timeouts.Total);
                try
                {
                    onDispatch?.Invoke();
                    var body = await providers.For(deployment).CompleteAsync(new UpstreamCall(model, deployment, request), total.Token).ConfigureAwait(false);
                    var modelToken = ClientModelToken(request, model);
                    var rewritten = ResponseRewriter.Rewrite(body, modelToken, out var facts);
                    var usage = facts.Usage ?? EstimateFromBody(account, body, modelToken);
                    lease.Succeeded();
                    await Task.WhenAll(
                        account.SettleAsync(model, deployment.Id, usage, "ok"),
                        plan.ConfirmAsync(model, deployment)).ConfigureAwait(false);
                    return new CompletionResult(rewritten, usage, deployment.Id, account.Limits);
                }
                catch (GatewayException ex) when (IsRetryable(ex))
                {
                    LogAttemptFailed(logger, request.RequestId, deployment.Id, ex.Code, ex.Message);
                    lease.Failed(deployment.Id, ex.Code.ToString(), ex.Code == GatewayErrorCode.RateLimited ? ex.RetryAfter ?? TimeSpan.FromSeconds(1) : null);
                    failures.Add(ex);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    LogAttemptFailed(logger, request.RequestId, deployment.Id, GatewayErrorCode.UpstreamTimeout, "total timeout");
                    lease.Failed(deployment.Id, "timeout", null);
                    failures.Add(new GatewayException(GatewayErrorCode.UpstreamTimeout, $"The backend of deployment '{deployment.Id}' did not answer within {deployment.Timeouts.Total.TotalSeconds:0.#} s."));
                }

                await account.LeaveDeploymentAsync().ConfigureAwait(false);
            }

            throw Exhausted(failures, models, request);
        }
        catch (Exception ex)
        {
            await CloseFailedAsync(account, last, ex, cancellationToken.IsCancellationRequested, null).ConfigureAwait(false);
            if (last is not null && IsClusterRejection(ex))
            {
                throw ReachedBackend(account);
            }

            if (ex is GatewayException gateway && account.Limits is { } limits && gateway.Limits is null)
            {
                throw new GatewayException(gateway.Code, gateway.Detail, gateway.Param)
                {
                    UpstreamStatus = gateway.UpstreamStatus,
                    UpstreamBody = gateway.UpstreamBody,
                    RetryAfter = gateway.RetryAfter,
                    OpenAICode = gateway.OpenAICode,
                    Limits = limits,
                };
            }

            throw;
        }
    }

    public async IAsyncEnumerable<StreamEvent> StreamAsync(CompletionRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var account = new RequestAccount(request, services, Time.GetTimestamp());
        var models = await CandidatesAsync(request).ConfigureAwait(false);
        await account.AdmitAsync(models[0]).ConfigureAwait(false);
        var channel = Channel.CreateBounded<StreamEvent>(new BoundedChannelOptions(StreamBuffer)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        // The pump reads the backend while the caller is busy with earlier events, so events that
        // arrive together leave in one batch.
        var pump = Task.Run(() => PumpAsync(models, request, account, channel.Writer, stop.Token), CancellationToken.None);
        try
        {
            // Completes with the pump's exception when the backend failed.
            while (await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (channel.Reader.TryRead(out var item))
                {
                    yield return item;
                }
            }
        }
        finally
        {
            stop.Cancel();
            await pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task PumpAsync(List<ModelDefinition> models, CompletionRequest request, RequestAccount account, ChannelWriter<StreamEvent> writer, CancellationToken cancellationToken)
    {
        (ModelDefinition Model, DeploymentDefinition Deployment)? last = null;
        var text = new StringBuilder();
        var dispatched = false;
        try
        {
            var failures = new AttemptFailures();
            var plan = await PlanAsync(models, request).ConfigureAwait(false);
            await foreach (var (model, deployment) in ReadyAttemptsAsync(plan, account, failures, cancellationToken).ConfigureAwait(false))
            {
                last = (model, deployment);
                var started = false;
                TokenUsage? usage = null;
                using var lease = balancer.Acquire(deployment);
                using var total = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                total.CancelAfter(deployment.Timeouts.Total);
                using var stage = CancellationTokenSource.CreateLinkedTokenSource(total.Token);
                stage.CancelAfter(deployment.Timeouts.FirstToken);
                var begun = Time.GetTimestamp();
                var modelToken = ClientModelToken(request, model);
                try
                {
                    if (request.ReportDispatch && !dispatched)
                    {
                        dispatched = true;
                        await writer.WriteAsync(new StreamEvent([], deployment.Id, account.Limits, null), cancellationToken).ConfigureAwait(false);
                    }

                    var call = new UpstreamCall(model, deployment, request);
                    await foreach (var data in providers.For(deployment).StreamAsync(call, stage.Token).ConfigureAwait(false))
                    {
                        if (!started)
                        {
                            lease.RecordFirstToken(Time.GetElapsedTime(begun));
                        }

                        stage.CancelAfter(deployment.Timeouts.Idle);
                        var rewritten = ResponseRewriter.Rewrite(data, modelToken, out var facts, text, dropNullUsage: request.StreamUsage != StreamUsageOption.Included);
                        usage = facts.Usage ?? usage;
                        if (facts.Usage is not null && !facts.HasChoices && request.StreamUsage != StreamUsageOption.Included)
                        {
                            // The usage chunk the gateway asked for on the client's behalf.
                            continue;
                        }

                        await writer.WriteAsync(new StreamEvent(rewritten, started ? null : deployment.Id, started ? null : account.Limits, null), cancellationToken).ConfigureAwait(false);
                        started = true;
                    }

                    // Durable before the client sees the end of the stream.
                    usage ??= Estimate(account, text);
                    lease.Succeeded();
                    await Task.WhenAll(
                        account.SettleAsync(model, deployment.Id, usage, "ok"),
                        plan.ConfirmAsync(model, deployment)).ConfigureAwait(false);
                    await writer.WriteAsync(new StreamEvent([], started ? null : deployment.Id, started ? null : account.Limits, usage), cancellationToken).ConfigureAwait(false);
                    writer.TryComplete();
                    return;
                }
                catch (GatewayException ex) when (IsRetryable(ex))
                {
                    LogAttemptFailed(logger, request.RequestId, deployment.Id, ex.Code, ex.Message);
                    lease.Failed(deployment.Id, ex.Code.ToString(), ex.Code == GatewayErrorCode.RateLimited ? ex.RetryAfter ?? TimeSpan.FromSeconds(1) : null);
                    if (started)
                    {
                        // The client has part of this answer: too late to move it; it ends with the error.
                        throw;
                    }

                    failures.Add(ex);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    var timeout = new GatewayException(GatewayErrorCode.UpstreamTimeout, started
                        ? $"The backend of deployment '{deployment.Id}' stopped sending for longer than {deployment.Timeouts.Idle.TotalSeconds:0.#} s."
                        : $"The backend of deployment '{deployment.Id}' sent no first token within {deployment.Timeouts.FirstToken.TotalSeconds:0.#} s.");
                    LogAttemptFailed(logger, request.RequestId, deployment.Id, GatewayErrorCode.UpstreamTimeout, timeout.Message);
                    lease.Failed(deployment.Id, "timeout", null);
                    if (started)
                    {
                        throw timeout;
                    }

                    failures.Add(timeout);
                }

                await account.LeaveDeploymentAsync().ConfigureAwait(false);
            }

            throw Exhausted(failures, models, request);
        }
        catch (Exception ex)
        {
            await CloseFailedAsync(account, last, ex, cancellationToken.IsCancellationRequested, text).ConfigureAwait(false);
            writer.TryComplete(last is not null && IsClusterRejection(ex) ? ReachedBackend(account) : ex);
        }
    }

    /// <summary>
    /// Ends a request that did not complete: what reached a backend is recorded (cut-short streams
    /// billed for the text generated, counted with the tokenizer); what never did gives its leases back.
    /// </summary>
    private async Task CloseFailedAsync(RequestAccount account, (ModelDefinition Model, DeploymentDefinition Deployment)? last, Exception failure, bool cancelled, StringBuilder? text)
    {
        try
        {
            if (last is not { } reached)
            {
                await account.ReleaseAsync().ConfigureAwait(false);
                return;
            }

            var status = cancelled ? "cancelled" : failure is GatewayException gateway ? gateway.Code.ToString() : "error";
            var usage = cancelled || (text is { Length: > 0 }) ? Estimate(account, text) : NoUsage;
            await account.SettleAsync(reached.Model, reached.Deployment.Id, usage, status).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogSettleFailed(logger, ex);
        }
    }

    /// <summary>The requested model and then its fallbacks, each resolved in the catalogue.</summary>
    private async Task<List<ModelDefinition>> CandidatesAsync(CompletionRequest request)
    {
        var snapshot = await catalog.GetAsync().ConfigureAwait(false);
        if (!snapshot.TryResolve(request.Model, out var model))
        {
            // The front-end resolved this name in its copy of the catalogue, so this silo's copy is
            // behind (a model added moments ago, or a copy not refreshed since the silo was idle):
            // load the current one before answering model_not_found.
            snapshot = await catalog.LoadAsync().ConfigureAwait(false);
        }

        if (!snapshot.TryResolve(request.Model, out model))
        {
            throw new GatewayException(GatewayErrorCode.ModelNotFound, $"The model '{request.RequestedModel}' does not exist.", "model");
        }

        var models = new List<ModelDefinition>(1 + model.Fallbacks.Length) { model };
        foreach (var name in model.Fallbacks)
        {
            if (snapshot.TryResolve(name, out var fallback) && !models.Contains(fallback))
            {
                models.Add(fallback);
            }
        }

        return models;
    }

    /// <summary>
    /// The attempts for a request: each candidate model's usable deployments in routing order. A
    /// session's first model puts its pinned deployment first (pinning one on the session's first
    /// request); the session grain is asked only when there is a choice to make.
    /// </summary>
    private async Task<AttemptPlan> PlanAsync(List<ModelDefinition> models, CompletionRequest request)
    {
        var attempts = new List<(ModelDefinition, DeploymentDefinition)>();
        ISessionGrain? session = null;
        string? pinned = null;
        for (var m = 0; m < models.Count; m++)
        {
            var order = balancer.Order(models[m]);
            if (m == 0 && request.SessionId is { } sessionId && order.Count > 1)
            {
                session = services.Grains.GetGrain<ISessionGrain>(ISessionGrain.KeyOf(request.Caller.Tenant, sessionId));

                // Counted on the deployment it ranked first while the session answers: requests ranked
                // meanwhile see it, so a burst of new sessions spreads out instead of all pinning the
                // one deployment that looked idle before any of them was counted.
                using (balancer.Acquire(order[0]))
                {
                    pinned = await session.PinAsync(models[0].Name, [.. order.Select(d => d.Id)]).ConfigureAwait(false);
                }

                order = [.. order.Where(d => d.Id == pinned), .. order.Where(d => d.Id != pinned)];
            }

            foreach (var deployment in order)
            {
                attempts.Add((models[m], deployment));
            }
        }

        return new AttemptPlan(attempts, models[0], session, pinned);
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

            if (attempt > 0 && _routing.RetryBackoffMs > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(_routing.RetryBackoffMs * (1 << Math.Min(attempt - 1, 6))), services.Time, cancellationToken).ConfigureAwait(false);
            }

            yield return (model, deployment);
        }
    }

    private GatewayException Exhausted(AttemptFailures failures, List<ModelDefinition> models, CompletionRequest request)
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

    /// <summary>Responses name the model the client asked for, or the fallback that served it.</summary>
    private static byte[] ClientModelToken(CompletionRequest request, ModelDefinition servedBy) =>
        JsonNames.Encode(servedBy.Name == request.Model ? request.RequestedModel : servedBy.Name);

    /// <summary>A grain this request called (its ledger page, its session) was on a silo that died or is stopping.</summary>
    private static bool IsClusterRejection(Exception exception) => exception is OrleansMessageRejectionException;

    /// <summary>
    /// The failure of a request that may have reached a backend, because a grain it called was lost
    /// with its silo. Thrown as it was, the rejection would look like a rejection of this request's
    /// own grain call, which the front-end safely sends again; but this one ran, and sending it again
    /// would run it on a backend twice. So: 503, and the caller decides.
    /// </summary>
    private static GatewayException ReachedBackend(RequestAccount account) =>
        new(GatewayErrorCode.ClusterUnavailable, "The cluster lost a silo while finishing this request; it may have reached the backend, so it was not sent again.")
        {
            RetryAfter = TimeSpan.FromSeconds(2),
            Limits = account.Limits,
        };

    private static bool IsRetryable(GatewayException exception) =>
        exception.Code is GatewayErrorCode.UpstreamFailed or GatewayErrorCode.UpstreamTimeout or GatewayErrorCode.RateLimited or GatewayErrorCode.NoHealthyDeployment;

    /// <summary>Usage the backend did not report, counted with the tokenizer and marked estimated.</summary>
    private TokenUsage Estimate(RequestAccount account, StringBuilder? text)
    {
        var completion = text is { Length: > 0 } ? services.Tokens.Count(text.ToString()) : 0;
        var prompt = account.PromptTokens;
        return new TokenUsage(prompt, completion, prompt + completion, null, null, Estimated: true);
    }

    private TokenUsage EstimateFromBody(RequestAccount account, byte[] body, byte[] modelToken)
    {
        var text = new StringBuilder();
        ResponseRewriter.Rewrite(body, modelToken, out _, text);
        return Estimate(account, text);
    }

    [LoggerMessage(10, LogLevel.Warning, "Request {RequestId}: deployment {DeploymentId} failed with {Code}: {Reason}")]
    private static partial void LogAttemptFailed(ILogger logger, string requestId, string deploymentId, GatewayErrorCode code, string reason);

    [LoggerMessage(11, LogLevel.Error, "Settling a failed request's usage failed")]
    private static partial void LogSettleFailed(ILogger logger, Exception exception);
}
