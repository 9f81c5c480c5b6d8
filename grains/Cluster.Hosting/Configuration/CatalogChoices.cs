using Cluster.Grains.Models;
using Microsoft.Extensions.Configuration;

namespace Cluster.Hosting.Configuration;

/// <summary>
/// The binding edge of the <c>Models</c> array's choices (<c>Routing</c>, <c>Deployments:N:Provider</c>):
/// the options binder refuses a name no enum member has by throwing for the whole array, so these
/// are read first, each unknown one reported under its own key, and the array bound with them blank
/// (not given).
/// </summary>
internal static class CatalogChoices
{
    /// <summary>Adds an error for every unknown choice; returns the <c>Models</c> array with them blank and the keys reported.</summary>
    public static (IConfiguration Models, HashSet<string> Reported) Check(IConfiguration configuration, List<string> errors)
    {
        var drop = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var reported = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var model in configuration.GetSection("Models").GetChildren())
        {
            Check<ModelRouting>(model.GetSection("Routing"), drop, reported, errors);
            foreach (var deployment in model.GetSection("Deployments").GetChildren())
            {
                Check<DeploymentProvider>(deployment.GetSection("Provider"), drop, reported, errors);
            }
        }

        // Blank rather than left out: an element whose only key is dropped would vanish from its array.
        var kept = configuration.GetSection("Models").AsEnumerable().Where(p => p.Value is not null)
            .Select(p => drop.Contains(p.Key) ? new KeyValuePair<string, string?>(p.Key, "") : p);
        return (new ConfigurationBuilder().AddInMemoryCollection(kept).Build(), reported);
    }

    private static void Check<TEnum>(IConfigurationSection setting, HashSet<string> drop, HashSet<string> reported, List<string> errors)
        where TEnum : struct, Enum
    {
        if (setting.Value is not { } raw || SettingNames<TEnum>.TryParse(raw, out _))
        {
            return;
        }

        // Blank is "not given": the validator names a missing provider, and a model without routing gets the default.
        drop.Add(setting.Path);
        if (!string.IsNullOrWhiteSpace(raw))
        {
            reported.Add(setting.Path);
            errors.Add($"{setting.Path}: '{raw}' is not one of {SettingNames<TEnum>.Listed}.");
        }
    }
}
