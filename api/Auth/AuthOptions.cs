namespace Cluster.Api.Auth;

/// <summary>The <c>Auth</c> section.</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    /// <summary>
    /// <c>Open</c>: any or no key is tenant <c>default</c>; <c>Keys</c>: a known key is required.
    /// Unset: <c>Keys</c> when <c>Tenants</c> are configured, else <c>Open</c>.
    /// </summary>
    public AuthMode? Mode { get; set; }

    /// <summary>The key for <c>/admin</c>: a literal or <c>env:NAME</c>. Without one the admin API is off.</summary>
    public string? AdminKey { get; set; }

    /// <summary>Wrong keys from one client address within <see cref="LockoutSeconds"/> before it is refused with 429 (0: never).</summary>
    public int MaxFailedAttempts { get; set; } = 20;

    /// <summary>The window, in seconds, in which failures are counted, and how long an address is then refused.</summary>
    public int LockoutSeconds { get; set; } = 60;

    /// <summary>The delay, in milliseconds, added to the n-th failed attempt's answer is n times this (n at most 10).</summary>
    public int FailureDelayMilliseconds { get; set; } = 100;

    /// <summary><see cref="LockoutSeconds"/> as a duration.</summary>
    public TimeSpan Lockout => TimeSpan.FromSeconds(LockoutSeconds);

    /// <summary><see cref="FailureDelayMilliseconds"/> as a duration.</summary>
    public TimeSpan FailureDelay => TimeSpan.FromMilliseconds(FailureDelayMilliseconds);
}
