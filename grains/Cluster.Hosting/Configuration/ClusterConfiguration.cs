using Cluster.Grains.Models;
using Microsoft.Extensions.Configuration;

namespace Cluster.Hosting.Configuration;

/// <summary>
/// Where configuration comes from, in order: appsettings.json, the file named by <c>--config</c>
/// or <c>CLUSTER_CONFIG</c>, environment variables, the command line. When none of these names a
/// model, the embedded default catalog (echo and the local embedding model) is used, plus one
/// OpenAI-compatible upstream when <c>CLUSTER_UPSTREAM_URL</c> is set.
/// </summary>
public static class ClusterConfiguration
{
    public const string ConfigFileVariable = "CLUSTER_CONFIG";
    public const string UpstreamUrlVariable = "CLUSTER_UPSTREAM_URL";
    public const string UpstreamModelVariable = "CLUSTER_UPSTREAM_MODEL";
    public const string UpstreamKeyVariable = "CLUSTER_UPSTREAM_API_KEY";
    public const string UpstreamModelName = "upstream";

    /// <summary>Adds the sources above and checks the result (the shared sections and <paramref name="frontEndSections"/>), naming every bad key.</summary>
    public static void AddClusterSources(this IConfigurationManager configuration, string[] args, params IReadOnlyList<ISettingsSection> frontEndSections)
    {
        var file = configuration["config"] ?? Environment.GetEnvironmentVariable(ConfigFileVariable);
        if (!string.IsNullOrWhiteSpace(file))
        {
            var path = Path.GetFullPath(file);
            if (!File.Exists(path))
            {
                throw new ClusterConfigurationException([$"config: the file '{file}' does not exist."]);
            }

            configuration.AddJsonFile(path, optional: false, reloadOnChange: false);

            // The file must not override what the environment and the command line say.
            configuration.AddEnvironmentVariables();
            configuration.AddCommandLine(args);
        }

        var models = configuration.GetSection("Models");
        if (!models.GetChildren().Any())
        {
            using var defaults = typeof(ClusterConfiguration).Assembly.GetManifestResourceStream("Cluster.Hosting.DefaultModels.json")
                ?? throw new InvalidOperationException("The default model catalog is not embedded.");
            var copy = new MemoryStream();
            defaults.CopyTo(copy);
            copy.Position = 0;
            configuration.AddJsonStream(copy);
            AddUpstreamFromEnvironment(configuration);
        }

        var errors = ClusterConfigurationValidator.ValidateAll(configuration, frontEndSections);
        if (errors.Count > 0)
        {
            throw new ClusterConfigurationException(errors);
        }
    }

    private static void AddUpstreamFromEnvironment(IConfigurationManager configuration)
    {
        var url = Environment.GetEnvironmentVariable(UpstreamUrlVariable);
        if (string.IsNullOrWhiteSpace(url))
        {
            return;
        }

        var index = configuration.GetSection("Models").GetChildren().Count();
        var upstreamModel = Environment.GetEnvironmentVariable(UpstreamModelVariable);
        var prefix = $"Models:{index}:";
        var values = new Dictionary<string, string?>
        {
            [prefix + "Name"] = string.IsNullOrWhiteSpace(upstreamModel) ? UpstreamModelName : upstreamModel,
            [prefix + "OwnedBy"] = "upstream",
            [prefix + "Deployments:0:Id"] = "upstream-0",
            [prefix + "Deployments:0:Provider"] = SettingNames<DeploymentProvider>.Name(DeploymentProvider.OpenAI),
            [prefix + "Deployments:0:BaseUrl"] = url,
        };
        if (!string.IsNullOrWhiteSpace(upstreamModel))
        {
            values[prefix + "Deployments:0:UpstreamModel"] = upstreamModel;
            values[prefix + "Aliases:0"] = UpstreamModelName;
        }

        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(UpstreamKeyVariable)))
        {
            values[prefix + "Deployments:0:ApiKey"] = "env:" + UpstreamKeyVariable;
        }

        configuration.AddInMemoryCollection(values);
    }
}
