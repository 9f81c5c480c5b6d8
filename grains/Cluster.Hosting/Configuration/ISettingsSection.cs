using Microsoft.Extensions.Configuration;

namespace Cluster.Hosting.Configuration;

/// <summary>A configuration section the start-up check reads: see <see cref="SettingsSection{TOptions}"/>.</summary>
public interface ISettingsSection
{
    /// <summary>The section's key, e.g. <c>Routing</c>.</summary>
    string Name { get; }

    /// <summary>Adds every problem of the section in <paramref name="configuration"/> to <paramref name="errors"/>, each naming its key.</summary>
    void Check(IConfiguration configuration, List<string> errors);
}
