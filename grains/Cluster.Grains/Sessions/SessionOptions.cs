namespace Cluster.Grains.Sessions;

/// <summary>What the session grains read of the <c>Routing</c> section.</summary>
public sealed class SessionOptions
{
    public const string SectionName = "Routing";

    /// <summary>A session forgets its pins after this long without requests.</summary>
    public int SessionTtlMinutes { get; set; } = 30;

    /// <summary><see cref="SessionTtlMinutes"/> as a duration.</summary>
    public TimeSpan SessionTtl => TimeSpan.FromMinutes(SessionTtlMinutes);
}
