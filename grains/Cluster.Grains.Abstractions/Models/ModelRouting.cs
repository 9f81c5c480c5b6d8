using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Cluster.Grains.Models;

/// <summary>
/// A model's <c>Routing</c>: how a request picks one of its deployments. Written in configuration
/// and in admin requests by the names given here (in any case), and carried by those names in
/// <see cref="ModelDefinition"/>; <see cref="SettingNames{TEnum}"/> translates.
/// </summary>
[TypeConverter(typeof(SettingNameConverter<ModelRouting>))]
[JsonConverter(typeof(SettingNameJsonConverter<ModelRouting>))]
public enum ModelRouting
{
    /// <summary>The deployment that likely holds the prompt's prefix in its cache (the default); least in flight for short prompts.</summary>
    [JsonStringEnumMemberName("prefix-aware")]
    PrefixAware,

    [JsonStringEnumMemberName("least-inflight")]
    LeastInFlight,

    [JsonStringEnumMemberName("round-robin")]
    RoundRobin,

    /// <summary>At random, in proportion to the deployments' <c>Weight</c>.</summary>
    [JsonStringEnumMemberName("weighted")]
    Weighted,

    /// <summary>The deployment with the lowest recent latency.</summary>
    [JsonStringEnumMemberName("latency")]
    Latency,
}
