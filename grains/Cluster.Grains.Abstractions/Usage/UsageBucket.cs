namespace Cluster.Grains.Usage;

/// <summary>
/// Usage of one tenant in one UTC hour, of one model and one key (null: no key): the unit the
/// ledger rolls records up into as it stores them, so usage queries cost O(buckets), not O(records).
/// </summary>
[GenerateSerializer, Immutable, Alias("Cluster.UsageBucket")]
public sealed record UsageBucket(
    [property: Id(0)] long HourMs,
    [property: Id(1)] string Model,
    [property: Id(2)] string? KeyId,
    [property: Id(3)] UsageTotals Totals)
{
    public const long HourLengthMs = 3_600_000;

    /// <summary>The start of the UTC hour that <paramref name="timestampMs"/> falls in.</summary>
    public static long HourOf(long timestampMs) => timestampMs - (((timestampMs % HourLengthMs) + HourLengthMs) % HourLengthMs);
}
