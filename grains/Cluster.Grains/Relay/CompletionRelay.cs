using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Cluster.Grains.Errors;
using Cluster.Grains.Models;
using Cluster.Grains.Providers;
using Cluster.Grains.Routing;
using Microsoft.Extensions.Logging;

using Cluster.Grains.Completions;

namespace Cluster.Grains.Relay;

/// <summary>
/// Relays one request to a backend: picks deployments in routing order, fails over before the
/// first byte, enforces the deployment's timeouts, rewrites model names, and pumps streams. Runs
/// off the grain scheduler (it touches no grain state), so its awaits do not return to it.
/// </summary>
internal sealed partial class CompletionRelay(
    ModelCatalogView catalog,
    ProviderSet providers,
    DeploymentBalancer balancer,
    TimeProvider time,
    ILogger<CompletionRelay> logger)
{
    private const int StreamBuffer = 256;

    public async Task<CompletionResult> CompleteAsync(CompletionRequest request, CancellationToken cancellationToken)
    {
        var models = await CandidatesAsync(request).ConfigureAwait(false);
        var failures = new AttemptFailures();
        foreach (var (model, deployment) in Attempts(models))
        {
            using var lease = balancer.Acquire(deployment);
            using var total = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            total.CancelAfter(deployment.Timeouts.Total);
            var call = new UpstreamCall(model, deployment, request);
            try
            {
                var body = await providers.For(deployment).CompleteAsync(call, total.Token).ConfigureAwait(false);
                var rewritten = ResponseRewriter.Rewrite(body, ClientModelToken(request, model), out var facts);
                return new CompletionResult(rewritten, facts.Usage ?? Estimate(request, facts), deployment.Id);
            }
            catch (GatewayException ex) when (IsRetryable(ex))
            {
                LogAttemptFailed(logger, request.RequestId, deployment.Id, ex.Code, ex.Message);
                failures.Add(ex);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                LogAttemptFailed(logger, request.RequestId, deployment.Id, GatewayErrorCode.UpstreamTimeout, "total timeout");
                failures.Add(new GatewayException(GatewayErrorCode.UpstreamTimeout, $"The backend of deployment '{deployment.Id}' did not answer within {deployment.Timeouts.Total.TotalSeconds:0.#} s."));
            }
        }

        throw failures.Final(request.Model);
    }

    public async IAsyncEnumerable<StreamEvent> StreamAsync(CompletionRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var models = await CandidatesAsync(request).ConfigureAwait(false);
        var channel = Channel.CreateBounded<StreamEvent>(new BoundedChannelOptions(StreamBuffer)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        // The pump reads the backend while the caller is busy with earlier events, so events that
        // arrive together leave in one batch; it runs on the thread pool, not the grain's scheduler.
        var pump = Task.Run(() => PumpAsync(models, request, channel.Writer, stop.Token), CancellationToken.None);
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

    private async Task PumpAsync(List<ModelDefinition> models, CompletionRequest request, ChannelWriter<StreamEvent> writer, CancellationToken cancellationToken)
    {
        try
        {
            var failures = new AttemptFailures();
            foreach (var (model, deployment) in Attempts(models))
            {
                var started = false;
                using var lease = balancer.Acquire(deployment);
                using var total = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                total.CancelAfter(deployment.Timeouts.Total);
                using var stage = CancellationTokenSource.CreateLinkedTokenSource(total.Token);
                stage.CancelAfter(deployment.Timeouts.FirstToken);
                var begun = time.GetTimestamp();
                var modelToken = ClientModelToken(request, model);
                try
                {
                    var call = new UpstreamCall(model, deployment, request);
                    await foreach (var data in providers.For(deployment).StreamAsync(call, stage.Token).ConfigureAwait(false))
                    {
                        if (!started)
                        {
                            lease.RecordFirstToken(time.GetElapsedTime(begun));
                        }

                        stage.CancelAfter(deployment.Timeouts.Idle);
                        var rewritten = ResponseRewriter.Rewrite(data, modelToken, out var facts);
                        if (facts.Usage is not null && !facts.HasChoices && request.StreamUsage != StreamUsageOption.Included)
                        {
                            // The usage chunk the gateway asked for on the client's behalf.
                            continue;
                        }

                        await writer.WriteAsync(new StreamEvent(rewritten, started ? null : deployment.Id), cancellationToken).ConfigureAwait(false);
                        started = true;
                    }

                    writer.TryComplete();
                    return;
                }
                catch (GatewayException ex) when (!started && IsRetryable(ex))
                {
                    LogAttemptFailed(logger, request.RequestId, deployment.Id, ex.Code, ex.Message);
                    failures.Add(ex);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    var timeout = new GatewayException(GatewayErrorCode.UpstreamTimeout, started
                        ? $"The backend of deployment '{deployment.Id}' stopped sending for longer than {deployment.Timeouts.Idle.TotalSeconds:0.#} s."
                        : $"The backend of deployment '{deployment.Id}' sent no first token within {deployment.Timeouts.FirstToken.TotalSeconds:0.#} s.");
                    LogAttemptFailed(logger, request.RequestId, deployment.Id, GatewayErrorCode.UpstreamTimeout, timeout.Message);
                    if (started)
                    {
                        throw timeout;
                    }

                    failures.Add(timeout);
                }
            }

            throw failures.Final(request.Model);
        }
        catch (Exception ex)
        {
            writer.TryComplete(ex);
        }
    }

    /// <summary>The requested model and then its fallbacks, each resolved in the catalogue.</summary>
    private async Task<List<ModelDefinition>> CandidatesAsync(CompletionRequest request)
    {
        var snapshot = await catalog.GetAsync().ConfigureAwait(false);
        if (!snapshot.TryResolve(request.Model, out var model))
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

    private IEnumerable<(ModelDefinition Model, DeploymentDefinition Deployment)> Attempts(List<ModelDefinition> models)
    {
        foreach (var model in models)
        {
            foreach (var deployment in balancer.Order(model))
            {
                yield return (model, deployment);
            }
        }
    }

    /// <summary>Responses name the model the client asked for, or the fallback that served it.</summary>
    private static byte[] ClientModelToken(CompletionRequest request, ModelDefinition servedBy) =>
        JsonNames.Encode(servedBy.Name == request.Model ? request.RequestedModel : servedBy.Name);

    private static bool IsRetryable(GatewayException exception) =>
        exception.Code is GatewayErrorCode.UpstreamFailed or GatewayErrorCode.UpstreamTimeout or GatewayErrorCode.RateLimited or GatewayErrorCode.NoHealthyDeployment;

    private static TokenUsage Estimate(CompletionRequest request, ResponseFacts facts)
    {
        // The backend reported no usage: about four bytes of text per token.
        var completion = (facts.ContentChars + 3) / 4;
        return new TokenUsage(request.PromptTokens, completion, request.PromptTokens + completion, null, null, Estimated: true);
    }

    [LoggerMessage(10, LogLevel.Warning, "Request {RequestId}: deployment {DeploymentId} failed with {Code}: {Reason}")]
    private static partial void LogAttemptFailed(ILogger logger, string requestId, string deploymentId, GatewayErrorCode code, string reason);
}
