using Microsoft.Extensions.Options;

namespace Cluster.Api.Responses;

/// <summary>Settings of the Responses and Conversations APIs (section <c>Responses</c>).</summary>
public sealed class ResponsesOptions
{
    public const string SectionName = "Responses";
    public const int DefaultRetentionDays = 30;
    public const int DefaultMaxChainLength = 1000;

    /// <summary>How long a stored response is kept; it is deleted from storage once this has passed.</summary>
    public int RetentionDays { get; set; } = DefaultRetentionDays;

    /// <summary>
    /// The most responses a <c>previous_response_id</c> chain may hold: each is one grain read when
    /// the context is rebuilt. A longer chain gets a 400 asking to start a conversation instead.
    /// </summary>
    public int MaxChainLength { get; set; } = DefaultMaxChainLength;

    /// <summary>
    /// How many chain contexts each front-end keeps (<see cref="ChainContextCache"/>), so a
    /// follow-up checks its chain still exists instead of reading it again; 0 turns the cache off.
    /// </summary>
    public int ContextCacheEntries { get; set; } = DefaultContextCacheEntries;

    public const int DefaultContextCacheEntries = 4096;

    /// <summary>How often each front-end asks the cluster to sweep the responses whose retention has passed.</summary>
    public int CleanupIntervalMinutes { get; set; } = DefaultCleanupIntervalMinutes;

    public const int DefaultCleanupIntervalMinutes = 60;

    public TimeSpan Retention => TimeSpan.FromDays(RetentionDays);

    public TimeSpan CleanupInterval => TimeSpan.FromMinutes(CleanupIntervalMinutes);
}

/// <summary>Names every bad key of <see cref="ResponsesOptions"/>.</summary>
internal sealed class ResponsesOptionsValidator : IValidateOptions<ResponsesOptions>
{
    public ValidateOptionsResult Validate(string? name, ResponsesOptions options)
    {
        var errors = new List<string>();
        if (options.RetentionDays is < 1 or > 3650)
        {
            errors.Add("Responses:RetentionDays must be from 1 to 3650.");
        }

        if (options.CleanupIntervalMinutes is < 1 or > 24 * 60)
        {
            errors.Add("Responses:CleanupIntervalMinutes must be from 1 to 1440.");
        }

        if (options.MaxChainLength is < 1 or > 100_000)
        {
            errors.Add("Responses:MaxChainLength must be from 1 to 100000.");
        }

        if (options.ContextCacheEntries is < 0 or > 1_000_000)
        {
            errors.Add("Responses:ContextCacheEntries must be from 0 to 1000000.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
