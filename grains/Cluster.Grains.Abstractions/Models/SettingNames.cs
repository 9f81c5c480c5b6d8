using System.Collections.Frozen;
using System.Reflection;
using System.Text.Json.Serialization;

namespace Cluster.Grains.Models;

/// <summary>
/// The names a settings enum is written by in configuration files, admin requests and stored
/// records (each member's <see cref="JsonStringEnumMemberName"/>, e.g. <c>azure-openai</c>), read
/// in any case. The one translation between those names and the enum.
/// </summary>
public static class SettingNames<TEnum>
    where TEnum : struct, Enum
{
    private static readonly FrozenDictionary<TEnum, string> Names = Enum.GetValues<TEnum>().ToFrozenDictionary(v => v, NameOf);
    private static readonly FrozenDictionary<string, TEnum> Values = Names.ToFrozenDictionary(p => p.Value, p => p.Key, StringComparer.OrdinalIgnoreCase);

    /// <summary>Every name, in declaration order.</summary>
    public static IReadOnlyList<string> All { get; } = [.. Enum.GetValues<TEnum>().Select(v => Names[v])];

    /// <summary>The list shown in an error: <c>openai, azure-openai, …</c>.</summary>
    public static string Listed => string.Join(", ", All);

    public static string Name(TEnum value) => Names[value];

    public static bool TryParse(string? name, out TEnum value) => Values.TryGetValue(name?.Trim() ?? "", out value);

    private static string NameOf(TEnum value) =>
        typeof(TEnum).GetField(value.ToString())!.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? value.ToString();
}
