namespace Cluster.Grains.Usage;

/// <summary>
/// A ledger page's head: how many segments it has, the newest timestamp of each (so a listing of
/// recent records reads only the segments that can hold them), and the first chunk not yet
/// folded into a segment. Written only when chunks are folded into a new segment.
/// </summary>
[GenerateSerializer, Alias("Cluster.LedgerHead")]
public sealed class LedgerHead
{
    [Id(0)] public int Segments { get; set; }

    /// <summary>Per segment, its newest record's timestamp; shorter than <c>Segments</c> in pages written before it existed.</summary>
    [Id(1)] public List<long> SegmentMaxMs { get; set; } = [];

    /// <summary>The first chunk row that is not part of a segment: chunks from here on are read back on activation.</summary>
    [Id(2)] public int ChunkFloor { get; set; }
}

/// <summary>
/// At least <see cref="UsageLedgerGrain.SegmentSize"/> records of a page, folded from its chunks
/// into one row, and the hourly rollup of every record of the segments before it (its base). The
/// last segment's base plus its records is the usage of every segment, so activation reads one row.
/// </summary>
[GenerateSerializer, Alias("Cluster.LedgerSegment")]
public sealed class LedgerSegment
{
    [Id(0)] public List<UsageRecord> Records { get; set; } = [];

    /// <summary>The rollup of all earlier segments; null in rows written before rollups existed.</summary>
    [Id(1)] public List<UsageBucket>? Base { get; set; }
}

/// <summary>
/// The records of one group commit, stored as a new row (inserted, never rewritten while records
/// arrive), so a commit writes only what is new. Folded into a segment once enough are stored.
/// </summary>
[GenerateSerializer, Alias("Cluster.LedgerChunk")]
public sealed class LedgerChunk
{
    [Id(0)] public List<UsageRecord> Records { get; set; } = [];
}
