using Cluster.Relay.Configuration;
using Cluster.Relay.Providers;
using Microsoft.Extensions.Options;

namespace Cluster.Api.Auth;

/// <summary>Names every bad key of <see cref="AuthOptions"/>.</summary>
internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var errors = new List<string>();
        if (options.Mode is { } mode)
        {
            SettingRules.IsOneOf(errors, "Auth:Mode", mode);
        }

        if (SecretReference.IsEnvironmentReference(options.AdminKey, out var variable) && SecretReference.Resolve(options.AdminKey) is null)
        {
            errors.Add($"Auth:AdminKey: the environment variable '{variable}' is not set.");
        }

        SettingRules.InRange(errors, "Auth:MaxFailedAttempts", options.MaxFailedAttempts, 0, 1_000_000);
        SettingRules.InRange(errors, "Auth:LockoutSeconds", options.LockoutSeconds, 1, 86_400);
        SettingRules.InRange(errors, "Auth:FailureDelayMilliseconds", options.FailureDelayMilliseconds, 0, 60_000);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
