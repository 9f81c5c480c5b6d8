namespace Cluster.Grains.Usage;

/// <summary>Bounds of the ledger's query methods, shared by the grain and its callers.</summary>
public static class UsageLedgerLimits
{
    /// <summary>The most records one <see cref="IUsageLedgerGrain.GetRecentAsync"/> call returns.</summary>
    public const int MaxListing = 1000;
}
