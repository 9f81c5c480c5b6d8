using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Cluster.Hosting.Configuration;

/// <summary>
/// One configuration section, checked before the host is built the way the options system will
/// bind it: every value of a typed property must convert to its type (a choice to one of its
/// enum's names, ignoring case; a number to a number), each failure naming its key and, for a
/// choice, the allowed values; then the section is bound without the bad values and handed to the
/// section's validator. Nothing is thrown: the caller collects every problem at once.
/// </summary>
public sealed class SettingsSection<TOptions>(string name, IValidateOptions<TOptions> validator) : ISettingsSection
    where TOptions : class, new()
{
    public string Name => name;

    public void Check(IConfiguration configuration, List<string> errors)
    {
        var section = configuration.GetSection(name);
        var bad = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in typeof(TOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.SetMethod is not { IsPublic: true })
            {
                continue;
            }

            var elementType = ListElementType(property.PropertyType);
            if (elementType is not null)
            {
                foreach (var item in section.GetSection(property.Name).GetChildren())
                {
                    CheckValue(item, elementType, nullable: false, bad, errors);
                }
            }
            else
            {
                CheckValue(section.GetSection(property.Name), property.PropertyType, nullable: Nullable.GetUnderlyingType(property.PropertyType) is not null, bad, errors);
            }
        }

        TOptions options;
        try
        {
            // Bound without the values found bad above: those keep their defaults, and the
            // validator still reports every other problem of the section.
            var good = section.AsEnumerable(makePathsRelative: true).Where(p => p.Value is not null && !bad.Contains(p.Key));
            options = new ConfigurationBuilder().AddInMemoryCollection(good).Build().Get<TOptions>() ?? new TOptions();
        }
        catch (InvalidOperationException ex)
        {
            errors.Add($"{name}: {ex.InnerException?.Message ?? ex.Message}");
            return;
        }

        var result = validator.Validate(Options.DefaultName, options);
        if (result.Failed)
        {
            errors.AddRange(result.Failures);
        }
    }

    private static void CheckValue(IConfigurationSection value, Type declared, bool nullable, HashSet<string> bad, List<string> errors)
    {
        var type = Nullable.GetUnderlyingType(declared) ?? declared;
        var raw = value.Value;
        if (raw is null || (nullable && raw.Length == 0))
        {
            return;
        }

        var problem = Problem(type, raw.Trim());
        if (problem is not null)
        {
            bad.Add(value.Path[(value.Path.IndexOf(':', StringComparison.Ordinal) + 1)..]);
            errors.Add($"{value.Path}: '{raw}' {problem}.");
        }
    }

    /// <summary>Why <paramref name="raw"/> does not convert to <paramref name="type"/>, or null when it does (or the type is not checked here).</summary>
    private static string? Problem(Type type, string raw)
    {
        var invariant = CultureInfo.InvariantCulture;
        if (type.IsEnum)
        {
            // Enum.TryParse also takes numbers and comma-separated lists; a setting takes one name.
            var named = raw.Length > 0 && char.IsLetter(raw[0]) && !raw.Contains(',', StringComparison.Ordinal)
                && Enum.TryParse(type, raw, ignoreCase: true, out var parsed) && Enum.IsDefined(type, parsed!);
            return named ? null : $"is not one of {string.Join(", ", Enum.GetNames(type))}";
        }

        return type switch
        {
            _ when type == typeof(bool) => bool.TryParse(raw, out _) ? null : "is not true or false",
            _ when type == typeof(int) => int.TryParse(raw, NumberStyles.Integer, invariant, out _) ? null : "is not a whole number",
            _ when type == typeof(long) => long.TryParse(raw, NumberStyles.Integer, invariant, out _) ? null : "is not a whole number",
            _ when type == typeof(double) => double.TryParse(raw, NumberStyles.Float, invariant, out _) ? null : "is not a number",
            _ when type == typeof(decimal) => decimal.TryParse(raw, NumberStyles.Number, invariant, out _) ? null : "is not a number",
            _ when type == typeof(TimeSpan) => TimeSpan.TryParse(raw, invariant, out _) ? null : "is not a duration (hh:mm:ss)",
            _ => null,
        };
    }

    private static Type? ListElementType(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) ? type.GetGenericArguments()[0] : null;
}
