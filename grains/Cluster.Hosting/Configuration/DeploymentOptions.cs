using Cluster.Grains.Models;

namespace Cluster.Hosting.Configuration;

/// <summary><c>Models[].Deployments[]</c>: one backend serving a model.</summary>
public sealed class DeploymentOptions
{
    /// <summary>A stable id shown in headers and usage; defaults to <c>{model}-{index}</c>.</summary>
    public string? Id { get; set; }

    /// <summary><c>openai</c>, <c>azure-openai</c>, <c>echo</c> or <c>local-embeddings</c>.</summary>
    public DeploymentProvider? Provider { get; set; }

    public string? BaseUrl { get; set; }

    /// <summary>The backend's key: a literal or <c>env:NAME</c>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The model name the backend knows; defaults to the public name.</summary>
    public string? UpstreamModel { get; set; }

    /// <summary>For <c>azure-openai</c>: the <c>api-version</c> query value.</summary>
    public string? ApiVersion { get; set; }

    /// <summary>
    /// <c>chat</c> (the default) or <c>responses</c>: the backend speaks <c>POST /responses</c>
    /// itself, so Responses turns are sent to it as Responses requests (the whole context replayed,
    /// <c>store: false</c>) instead of chat completions. Only for <c>openai</c> and <c>azure-openai</c>.
    /// </summary>
    public string? Api { get; set; }

    public int Weight { get; set; } = 1;

    public int? Rpm { get; set; }

    public int? Tpm { get; set; }

    public int? MaxConcurrency { get; set; }

    /// <summary>
    /// How many tokens the backend's prefix (KV) cache holds, for <c>prefix-aware</c> routing
    /// (vLLM prints it at start as "GPU KV cache size: N tokens"). Unset: 32,768, corrected by the
    /// backend's reported cached tokens.
    /// </summary>
    public int? CacheTokens { get; set; }

    public double? ConnectTimeoutSeconds { get; set; }

    public double? FirstTokenTimeoutSeconds { get; set; }

    public double? IdleTimeoutSeconds { get; set; }

    public double? TotalTimeoutSeconds { get; set; }
}
