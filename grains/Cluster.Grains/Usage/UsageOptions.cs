namespace Cluster.Grains.Usage;

/// <summary>The <c>Usage</c> section: the durable ledger.</summary>
public sealed class UsageOptions
{
    public const string SectionName = "Usage";

    /// <summary>Whether requests are recorded in the ledger (on by default).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Ledger pages per tenant and day; more pages mean smaller writes. Fixed once data exists.</summary>
    public int LedgerShards { get; set; } = UsageLedger.DefaultShards;
}
