using Cluster.Relay.Accounting;
using Cluster.Relay.Cluster;
using Cluster.Relay.Routing;
using Microsoft.Extensions.Configuration;

namespace Cluster.Hosting.Configuration;

/// <summary>
/// Checks the whole configuration at once and names every bad key, so a broken file is fixed in
/// one go: the <c>Models</c> and <c>Tenants</c> arrays, then each section through its options
/// class and validator (<see cref="Sections"/>, plus the sections a front-end adds). Runs before
/// the host is built (hosting decisions depend on it); the same validators run again through
/// <c>ValidateOnStart</c>.
/// </summary>
public static class ClusterConfigurationValidator
{
    /// <summary>The sections every process reads: how it joins the cluster, and the request path's settings.</summary>
    public static readonly IReadOnlyList<ISettingsSection> Sections =
    [
        new SettingsSection<ClusterHostOptions>(ClusterHostOptions.SectionName, new ClusterHostOptionsValidator()),
        new SettingsSection<RelayClusterOptions>(RelayClusterOptions.SectionName, new RelayClusterOptionsValidator()),
        new SettingsSection<StorageOptions>(StorageOptions.SectionName, new StorageOptionsValidator()),
        new SettingsSection<MembershipOptions>(MembershipOptions.SectionName, new MembershipOptionsValidator()),
        new SettingsSection<RoutingOptions>(RoutingOptions.SectionName, new RoutingOptionsValidator()),
        new SettingsSection<UsageOptions>(UsageOptions.SectionName, new UsageOptionsValidator()),
        new SettingsSection<LimitOptions>(LimitOptions.SectionName, new LimitOptionsValidator()),
    ];

    /// <summary>Every problem in <paramref name="configuration"/>, each naming its key.</summary>
    /// <param name="configuration">The whole configuration.</param>
    /// <param name="frontEndSections">Sections only this process reads (the api's <c>Auth</c> and <c>Server</c>).</param>
    public static List<string> ValidateAll(IConfiguration configuration, params IReadOnlyList<ISettingsSection> frontEndSections)
    {
        var errors = new List<string>();
        var (models, reported) = CatalogChoices.Check(configuration, errors);
        CatalogOptions catalog;
        try
        {
            catalog = models.Get<CatalogOptions>() ?? new CatalogOptions();
        }
        catch (InvalidOperationException ex)
        {
            errors.Add($"Models: {ex.Message}");
            return errors;
        }

        var catalogErrors = new List<string>();
        CatalogOptionsValidator.Validate(catalog, catalogErrors);
        errors.AddRange(catalogErrors.Where(e => !reported.Any(key => e.StartsWith(key + ":", StringComparison.OrdinalIgnoreCase))));
        foreach (var section in Sections.Concat(frontEndSections))
        {
            section.Check(configuration, errors);
        }

        try
        {
            var access = configuration.Get<AccessOptions>() ?? new AccessOptions();
            var result = new AccessOptionsValidator(catalog).Validate(null, access);
            if (result.Failed)
            {
                errors.AddRange(result.Failures);
            }
        }
        catch (InvalidOperationException ex)
        {
            errors.Add($"Tenants: {ex.InnerException?.Message ?? ex.Message}");
        }

        return errors;
    }
}
