namespace Cluster.Api.Auth;

/// <summary>The <c>Auth</c> section.</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>
    /// <c>Open</c>: any or no key is tenant <c>default</c> (the default when no tenants are configured);
    /// <c>Keys</c>: a known key is required.
    /// </summary>
    public string? Mode { get; set; }

    /// <summary>The key for <c>/admin</c>: a literal or <c>env:NAME</c>. Without one the admin API is off.</summary>
    public string? AdminKey { get; set; }
}
