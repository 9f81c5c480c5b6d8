using Cluster.Relay.Configuration;
using Microsoft.Extensions.Options;

namespace Cluster.Relay.Accounting;

/// <summary>Names every bad key of <see cref="UsageOptions"/> (<c>LedgerShards: 0</c> would divide by zero).</summary>
public sealed class UsageOptionsValidator : IValidateOptions<UsageOptions>
{
    public ValidateOptionsResult Validate(string? name, UsageOptions options)
    {
        var errors = new List<string>();
        SettingRules.InRange(errors, "Usage:LedgerShards", options.LedgerShards, 1, 256);
        SettingRules.InRange(errors, "Usage:DurableWaitSeconds", options.DurableWaitSeconds, 0, 600);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
