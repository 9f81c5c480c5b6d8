namespace Cluster.Relay.Configuration;

/// <summary>
/// The wording of a validator's findings, shared by every <c>*OptionsValidator</c> so that each
/// problem names its key and the value found the same way.
/// </summary>
public static class SettingRules
{
    /// <summary>Adds an error when <paramref name="value"/> lies outside <paramref name="min"/>..<paramref name="max"/>.</summary>
    public static void InRange(List<string> errors, string key, long value, long min, long max)
    {
        if (value < min || value > max)
        {
            errors.Add($"{key}: '{value}' must be a whole number from {min} to {max}.");
        }
    }

    /// <summary>As <see cref="InRange(List{string}, string, long, long, long)"/>; an absent (null) value is not checked.</summary>
    public static void InRange(List<string> errors, string key, long? value, long min, long max)
    {
        if (value is { } set)
        {
            InRange(errors, key, set, min, max);
        }
    }

    /// <summary>Adds an error when <paramref name="value"/> is not a named member of its enum (a number, or several names).</summary>
    public static void IsOneOf<TEnum>(List<string> errors, string key, TEnum value)
        where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(value))
        {
            errors.Add($"{key}: '{value}' is not one of {string.Join(", ", Enum.GetNames<TEnum>())}.");
        }
    }
}
