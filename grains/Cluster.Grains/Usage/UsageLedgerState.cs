namespace Cluster.Grains.Usage;

/// <summary>A ledger page's head: how many segments it has.</summary>
[GenerateSerializer, Alias("Cluster.LedgerHead")]
public sealed class LedgerHead
{
    [Id(0)] public int Segments { get; set; }
}

/// <summary>Up to <see cref="UsageLedgerGrain.SegmentSize"/> records of a page, stored as one row.</summary>
[GenerateSerializer, Alias("Cluster.LedgerSegment")]
public sealed class LedgerSegment
{
    [Id(0)] public List<UsageRecord> Records { get; set; } = [];
}
