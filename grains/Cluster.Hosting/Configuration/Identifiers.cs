namespace Cluster.Hosting.Configuration;

/// <summary>
/// The rules for names that become storage keys, grain keys and URL segments: tenant ids, model
/// names and aliases, key names. Bounded in length and drawn from a safe set of characters, so no
/// name can break an Azure Table key (1 KiB, no <c>/ \ # ?</c>), a route, or a log line.
/// </summary>
public static class Identifiers
{
    public const int MaxTenantIdLength = 64;
    public const int MaxModelNameLength = 128;
    public const int MaxKeyNameLength = 128;

    public const string TenantRule = "a tenant id is 1 to 64 characters: letters, digits, '.', '_' and '-', starting with a letter or digit";
    public const string ModelRule = "a model name is 1 to 128 characters: letters, digits, '.', '_', '-', ':' and '/', starting with a letter or digit, with no '..' or '//'";
    public const string KeyNameRule = "a key name is at most 128 characters, with no control characters";

    public static bool IsTenantId(string? id) =>
        id is { Length: > 0 and <= MaxTenantIdLength } && char.IsAsciiLetterOrDigit(id[0]) && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    public static bool IsModelName(string? name) =>
        name is { Length: > 0 and <= MaxModelNameLength } && char.IsAsciiLetterOrDigit(name[0]) && !name.EndsWith('/')
        && !name.Contains("..", StringComparison.Ordinal) && !name.Contains("//", StringComparison.Ordinal)
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or ':' or '/');

    public static bool IsKeyName(string? name) => name is null || (name.Length <= MaxKeyNameLength && !name.Any(char.IsControl));

    /// <summary>A name as quoted in an error message: at most 64 characters of it.</summary>
    public static string Shown(string name) => name.Length <= 64 ? name : string.Concat(name.AsSpan(0, 64), "…");
}
