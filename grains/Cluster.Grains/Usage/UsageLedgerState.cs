namespace Cluster.Grains.Usage;

/// <summary>
/// A ledger page's head: how many segments it has, and the newest timestamp of each sealed segment
/// (so a listing of recent records reads only the segments that can hold them). Written only when a
/// segment opens.
/// </summary>
[GenerateSerializer, Alias("Cluster.LedgerHead")]
public sealed class LedgerHead
{
    [Id(0)] public int Segments { get; set; }

    /// <summary>Per sealed segment, its newest record's timestamp; shorter than <c>Segments - 1</c> in pages written before it existed.</summary>
    [Id(1)] public List<long> SegmentMaxMs { get; set; } = [];
}

/// <summary>
/// Up to <see cref="UsageLedgerGrain.SegmentSize"/> records of a page, stored as one row, and the
/// hourly rollup of every record of the segments before it. The open segment's base plus its own
/// records is the page's usage, so a query reads one row, and the rollup is stored by the very
/// write that stores the records (no extra write per commit).
/// </summary>
[GenerateSerializer, Alias("Cluster.LedgerSegment")]
public sealed class LedgerSegment
{
    [Id(0)] public List<UsageRecord> Records { get; set; } = [];

    /// <summary>The rollup of all earlier segments; null in rows written before rollups existed.</summary>
    [Id(1)] public List<UsageBucket>? Base { get; set; }
}
