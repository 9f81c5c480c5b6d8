namespace Cluster.Hosting.Configuration;

/// <summary>One entry of <c>Tenants</c>.</summary>
public sealed class TenantOptions
{
    public string? Id { get; set; }

    /// <summary>The tenant's API keys: literals or <c>env:NAME</c>. Only their hashes are stored.</summary>
    public List<string> Keys { get; set; } = [];

    /// <summary>Models (names or aliases) the tenant may use; <c>*</c> (or none listed) for all.</summary>
    public List<string> Models { get; set; } = [];

    public TenantLimitOptions? Limits { get; set; }

    /// <summary>Limits of each of the tenant's keys (every key gets its own window).</summary>
    public ScopeLimitOptions? KeyLimits { get; set; }

    /// <summary>Limits per model for this tenant, by model name.</summary>
    public Dictionary<string, ScopeLimitOptions> ModelLimits { get; set; } = new(StringComparer.Ordinal);
}

/// <summary><c>Tenants[].Limits</c>: rate limits of the tenant as a whole, and its quotas.</summary>
public sealed class TenantLimitOptions
{
    public int? Rpm { get; set; }

    public long? Tpm { get; set; }

    public int? MaxConcurrency { get; set; }

    public long? TokensPerDay { get; set; }

    public long? TokensPerMonth { get; set; }

    public decimal? BudgetUsdPerMonth { get; set; }
}

/// <summary>Rate limits of one scope: requests and tokens per minute, requests at a time.</summary>
public sealed class ScopeLimitOptions
{
    public int? Rpm { get; set; }

    public long? Tpm { get; set; }

    public int? MaxConcurrency { get; set; }
}
