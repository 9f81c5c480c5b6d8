using Cluster.Relay.Configuration;
using Microsoft.Extensions.Options;

namespace Cluster.Relay.Cluster;

/// <summary>Names every bad key of <see cref="RelayClusterOptions"/>.</summary>
public sealed class RelayClusterOptionsValidator : IValidateOptions<RelayClusterOptions>
{
    public ValidateOptionsResult Validate(string? name, RelayClusterOptions options)
    {
        var errors = new List<string>();
        SettingRules.InRange(errors, "Cluster:RetryWindowSeconds", options.RetryWindowSeconds, 1, 600);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
