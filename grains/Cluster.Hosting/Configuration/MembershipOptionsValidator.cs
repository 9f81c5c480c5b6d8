using Cluster.Relay.Configuration;
using Microsoft.Extensions.Options;

namespace Cluster.Hosting.Configuration;

/// <summary>Names every bad key of <see cref="MembershipOptions"/>.</summary>
public sealed class MembershipOptionsValidator : IValidateOptions<MembershipOptions>
{
    public ValidateOptionsResult Validate(string? name, MembershipOptions options)
    {
        var errors = new List<string>();
        SettingRules.IsOneOf(errors, "Clustering:Provider", options.Provider);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
