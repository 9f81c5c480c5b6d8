using Cluster.Relay.Configuration;
using Microsoft.Extensions.Options;

namespace Cluster.Relay.Accounting;

/// <summary>Names every bad key of <see cref="LimitOptions"/>.</summary>
public sealed class LimitOptionsValidator : IValidateOptions<LimitOptions>
{
    public ValidateOptionsResult Validate(string? name, LimitOptions options)
    {
        var errors = new List<string>();
        SettingRules.InRange(errors, "Limits:DefaultCompletionTokens", options.DefaultCompletionTokens, 1, 10_000_000);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
