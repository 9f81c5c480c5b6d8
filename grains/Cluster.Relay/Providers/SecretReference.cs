namespace Cluster.Relay.Providers;

/// <summary>
/// A configured secret: either a literal or <c>env:NAME</c>, read from the environment where it
/// is used so that grain state and logs hold only the reference.
/// </summary>
public static class SecretReference
{
    private const string EnvPrefix = "env:";

    public static bool IsEnvironmentReference(string? value, out string name)
    {
        if (value is not null && value.StartsWith(EnvPrefix, StringComparison.Ordinal))
        {
            name = value[EnvPrefix.Length..];
            return true;
        }

        name = "";
        return false;
    }

    /// <summary>The secret's value; null when it is unset or names an unset variable.</summary>
    public static string? Resolve(string? value)
    {
        if (IsEnvironmentReference(value, out var name))
        {
            var resolved = Environment.GetEnvironmentVariable(name);
            return string.IsNullOrEmpty(resolved) ? null : resolved;
        }

        return string.IsNullOrEmpty(value) ? null : value;
    }
}
