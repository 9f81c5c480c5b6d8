using Cluster.Relay.Configuration;
using Microsoft.Extensions.Options;

namespace Cluster.Hosting.Configuration;

/// <summary>Names every bad key of <see cref="StorageOptions"/>.</summary>
public sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        var errors = new List<string>();
        SettingRules.IsOneOf(errors, "Storage:Provider", options.Provider);
        if (options.IsAzureTable && string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            errors.Add("Storage:ConnectionString: AzureTable storage needs a connection string.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
