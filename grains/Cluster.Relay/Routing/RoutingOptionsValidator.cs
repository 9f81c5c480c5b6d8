using Cluster.Relay.Configuration;
using Microsoft.Extensions.Options;

namespace Cluster.Relay.Routing;

/// <summary>Names every bad key of <see cref="RoutingOptions"/>: each a whole number within its range.</summary>
public sealed class RoutingOptionsValidator : IValidateOptions<RoutingOptions>
{
    public ValidateOptionsResult Validate(string? name, RoutingOptions options)
    {
        var errors = new List<string>();
        SettingRules.InRange(errors, "Routing:MaxAttempts", options.MaxAttempts, 1, 100);
        SettingRules.InRange(errors, "Routing:RetryBackoffMs", options.RetryBackoffMs, 0, 60_000);
        SettingRules.InRange(errors, "Routing:FailureThreshold", options.FailureThreshold, 1, 1_000_000_000);
        SettingRules.InRange(errors, "Routing:FailureWindowSeconds", options.FailureWindowSeconds, 1, 86_400);
        SettingRules.InRange(errors, "Routing:CooldownSeconds", options.CooldownSeconds, 1, 86_400);
        SettingRules.InRange(errors, "Routing:HealthCheckIntervalSeconds", options.HealthCheckIntervalSeconds, 1, 86_400);
        SettingRules.InRange(errors, "Routing:SessionTtlMinutes", options.SessionTtlMinutes, 1, 525_600);
        SettingRules.InRange(errors, "Routing:SessionLookupTimeoutMs", options.SessionLookupTimeoutMs, 1, 60_000);
        SettingRules.InRange(errors, "Routing:StatusSyncMilliseconds", options.StatusSyncMilliseconds, 50, 60_000);
        SettingRules.InRange(errors, "Routing:PrefixSpillPercent", options.PrefixSpillPercent, 100, 100_000);
        SettingRules.InRange(errors, "Routing:PrefixMinInFlight", options.PrefixMinInFlight, 1, 1_000_000);
        SettingRules.InRange(errors, "Routing:PrefixHomeSlackPercent", options.PrefixHomeSlackPercent, 0, 10_000);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
