namespace Cluster.Relay.Accounting;

/// <summary>The <c>Usage</c> section: the ledger.</summary>
public sealed class UsageOptions
{
    public const string SectionName = "Usage";

    /// <summary>Whether requests are recorded in the ledger (off only to measure its cost).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Ledger pages per tenant and day; fix it before data exists.</summary>
    public int LedgerShards { get; set; } = UsageLedger.DefaultShards;

    /// <summary>
    /// How long the end of a response waits for its ledger page to store the record (resending while
    /// the cluster moves the page off a silo that died) before the record goes to the local spool.
    /// </summary>
    public int DurableWaitSeconds { get; set; } = 5;

    /// <summary>
    /// Where a front-end spools records the ledger could not take in time: an append-only file,
    /// flushed to disk before the response ends, replayed into the ledger as soon as it answers and
    /// at the next start. Give each host a persistent folder (a volume in a container).
    /// Default: <c>{temp}/completion-cluster/ledger-spool/{Cluster:ServiceId}</c>.
    /// </summary>
    public string? SpoolDirectory { get; set; }

    /// <summary><see cref="DurableWaitSeconds"/> as a duration.</summary>
    public TimeSpan DurableWait => TimeSpan.FromSeconds(DurableWaitSeconds);
}
