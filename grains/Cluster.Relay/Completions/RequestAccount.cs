using Cluster.Relay.Cluster;

namespace Cluster.Relay.Completions;

/// <summary>
/// Everything one request owes and holds: its tenant's lease, the lease on the deployment it
/// runs on, and its ledger record. Settled once with the real usage (or released when nothing
/// reached a backend); retries never count twice because only the final outcome is settled.
/// </summary>
internal sealed class RequestAccount(CompletionRequest request, RelayServices services, long started)
{
    private int? _promptTokens;
    private string? _tenantLimiter;
    private string? _deploymentLimiter;
    private bool _settled;

    public RateLimitStatus? Limits { get; private set; }

    /// <summary>Asks the tenant's limiter to admit the request; throws the 429 when it refuses.</summary>
    public async Task AdmitAsync(ModelDefinition model)
    {
        var access = await services.Access.GetAsync().ConfigureAwait(false);
        var tenant = access.Tenant(request.Caller.Tenant);
        var key = request.Caller.KeyId is { } keyId ? access.KeyById(keyId) : null;
        var keyLimits = key?.Limits ?? ScopeLimits.None;
        if (tenant is null || (!tenant.HasLimits && keyLimits.IsEmpty))
        {
            return;
        }

        var modelLimits = tenant.ModelLimits.GetValueOrDefault(model.Name) ?? ScopeLimits.None;
        var needsTokens = tenant.Limits.Tpm is not null || keyLimits.Tpm is not null || modelLimits.Tpm is not null || !tenant.Quotas.IsEmpty;
        var (reserved, cost) = needsTokens ? Reservation(model) : (0, 0m);
        var limiter = ILimiterGrain.TenantKey(tenant.Id);
        var admissionRequest = new AdmissionRequest(request.RequestId, key?.Id, keyLimits, model.Name, modelLimits, tenant.Limits, tenant.Quotas, reserved, cost);
        var admission = await services.Limiters.AdmitAsync(limiter, admissionRequest).ConfigureAwait(false);
        Limits = admission.Status;
        if (!admission.Admitted)
        {
            throw Refusal(admission);
        }

        _tenantLimiter = limiter;
        services.Leases.Track(limiter, admissionRequest);
    }

    /// <summary>Takes capacity on a deployment with limits; the refusal when it is full (the caller tries another), else null.</summary>
    public async Task<GatewayException?> TryTakeDeploymentAsync(ModelDefinition model, DeploymentDefinition deployment)
    {
        if (deployment.Rpm is null && deployment.Tpm is null && deployment.MaxConcurrency is null)
        {
            return null;
        }

        var (reserved, _) = deployment.Tpm is not null ? Reservation(model) : (0, 0m);
        var limiter = ILimiterGrain.DeploymentKey(deployment.Id);
        var admissionRequest = new AdmissionRequest(
            request.RequestId, null, ScopeLimits.None, model.Name, ScopeLimits.None,
            new ScopeLimits(deployment.Rpm, deployment.Tpm, deployment.MaxConcurrency), TenantQuotas.None, reserved, 0);
        var admission = await services.Limiters.AdmitAsync(limiter, admissionRequest).ConfigureAwait(false);
        if (!admission.Admitted)
        {
            return Refusal(admission);
        }

        _deploymentLimiter = limiter;
        services.Leases.Track(limiter, admissionRequest);
        return null;
    }

    /// <summary>Gives a deployment's capacity back after an attempt on it failed.</summary>
    public async Task LeaveDeploymentAsync()
    {
        if (_deploymentLimiter is { } limiter)
        {
            _deploymentLimiter = null;
            services.Leases.Forget(limiter, request.RequestId);
            await services.Limiters.ReleaseAsync(limiter, request.RequestId).ConfigureAwait(false);
        }
    }

    /// <summary>Records the request in the ledger and settles its leases with the real usage; durable when it returns.</summary>
    public async Task SettleAsync(ModelDefinition model, string? deploymentId, TokenUsage usage, string status)
    {
        if (_settled)
        {
            return;
        }

        _settled = true;
        var cost = model.Price.CostOf(usage.PromptTokens, usage.CompletionTokens, usage.CachedTokens ?? 0);
        var record = new UsageRecord(
            RequestId: request.RequestId,
            Tenant: request.Caller.Tenant,
            KeyId: request.Caller.KeyId,
            Model: model.Name,
            DeploymentId: deploymentId,
            SessionId: request.SessionId,
            TimestampMs: services.Time.GetUtcNow().ToUnixTimeMilliseconds(),
            Endpoint: request.ResponseId is not null ? "responses" : request.Kind switch
            {
                EndpointKind.ChatCompletions => "chat.completions",
                EndpointKind.Completions => "completions",
                _ => "embeddings",
            },
            PromptTokens: usage.PromptTokens,
            CompletionTokens: usage.CompletionTokens,
            TotalTokens: usage.TotalTokens,
            CachedTokens: usage.CachedTokens,
            ReasoningTokens: usage.ReasoningTokens,
            Estimated: usage.Estimated,
            Status: status,
            LatencyMs: (int)services.Time.GetElapsedTime(started).TotalMilliseconds,
            CostUsd: cost,
            ResponseId: request.ResponseId,
            ConversationId: request.ConversationId);
        var writes = new List<Task>(3) { services.Usage.RecordAsync(record) };
        if (request.SessionId is { } session)
        {
            // Informational, not part of the durability guarantee: sent with the session's other requests.
            services.SessionUsage.Add(ISessionGrain.KeyOf(request.Caller.Tenant, session), usage);
        }

        if (_tenantLimiter is { } tenant)
        {
            services.Leases.Forget(tenant, request.RequestId);
            writes.Add(SettleLimiterAsync(tenant, usage, cost));
        }

        if (_deploymentLimiter is { } deployment)
        {
            services.Leases.Forget(deployment, request.RequestId);
            writes.Add(SettleLimiterAsync(deployment, usage, 0));
        }

        await Task.WhenAll(writes).ConfigureAwait(false);
    }

    /// <summary>
    /// Settles a limiter lease with the real usage. A limiter that stays unreachable past the retry
    /// window is not the client's problem: its lease lapses and the reservation stays counted (the
    /// safe side); the ledger is the exact record either way.
    /// </summary>
    private async Task SettleLimiterAsync(string limiter, TokenUsage usage, decimal cost)
    {
        try
        {
            await services.Limiters.SettleAsync(limiter, request.RequestId, usage, cost).ConfigureAwait(false);
        }
        catch (Exception ex) when (ClusterCalls.IsTransient(ex))
        {
            services.SettlementFailed(limiter, ex);
        }
    }

    /// <summary>Nothing reached a backend: every lease is given back in full and nothing is recorded.</summary>
    public async Task ReleaseAsync()
    {
        if (_settled)
        {
            return;
        }

        _settled = true;
        var releases = new List<Task>(2);
        foreach (var limiter in new[] { _tenantLimiter, _deploymentLimiter })
        {
            if (limiter is not null)
            {
                services.Leases.Forget(limiter, request.RequestId);
                releases.Add(services.Limiters.ReleaseAsync(limiter, request.RequestId));
            }
        }

        await Task.WhenAll(releases).ConfigureAwait(false);
    }

    /// <summary>The prompt's tokens by the tokenizer, counted once per request and only when needed.</summary>
    public int PromptTokens => _promptTokens ??= global::Cluster.Relay.Tokens.PromptTokens.Count(request, services.Tokens);

    private (long Tokens, decimal Cost) Reservation(ModelDefinition model)
    {
        var completion = request.Kind == EndpointKind.Embeddings ? 0 : request.MaxTokens ?? services.DefaultCompletionTokens;
        return (PromptTokens + completion, model.Price.CostOf(PromptTokens, completion));
    }

    /// <summary>The failure as the caller gets it, with this request's rate-limit figures for the headers.</summary>
    public GatewayException WithLimits(GatewayException failure) =>
        Limits is not { } limits || failure.Limits is not null
            ? failure
            : new GatewayException(failure.Code, failure.Detail, failure.Param)
            {
                UpstreamStatus = failure.UpstreamStatus,
                UpstreamBody = failure.UpstreamBody,
                RetryAfter = failure.RetryAfter,
                OpenAICode = failure.OpenAICode,
                Limits = limits,
            };

    private static GatewayException Refusal(Admission admission) =>
        new(admission.Code ?? GatewayErrorCode.RateLimited, admission.Message ?? "Rate limit reached.")
        {
            RetryAfter = admission.RetryAfter,
            Limits = admission.Status,
        };
}
