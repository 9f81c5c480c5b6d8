namespace Cluster.Relay.Accounting;

/// <summary>The <c>Limits</c> section: how token reservations are sized.</summary>
public sealed class LimitOptions
{
    public const string SectionName = "Limits";

    /// <summary>Completion tokens reserved for a request that sets no <c>max_tokens</c>; settled to the real count afterwards.</summary>
    public int DefaultCompletionTokens { get; set; } = 1024;
}
