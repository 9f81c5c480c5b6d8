namespace Cluster.Grains.Usage;

/// <summary>
/// Which ledger records a page returns, newest first: those before a cursor (timestamp, then
/// request id, both descending) that match every given field, at most <see cref="Limit"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("Cluster.UsageRecordFilter")]
public sealed record UsageRecordFilter(
    [property: Id(0)] int Limit,
    [property: Id(1)] long? BeforeMs = null,
    [property: Id(2)] string? BeforeRequestId = null,
    [property: Id(3)] string? Model = null,
    [property: Id(4)] string? KeyId = null,
    [property: Id(5)] string? DeploymentId = null,
    [property: Id(6)] string? SessionId = null,
    [property: Id(7)] string? Status = null)
{
    /// <summary>The order of the listing: newest first, ties by request id descending.</summary>
    public static int CompareNewestFirst(UsageRecord a, UsageRecord b)
    {
        var byTime = b.TimestampMs.CompareTo(a.TimestampMs);
        return byTime != 0 ? byTime : string.CompareOrdinal(b.RequestId, a.RequestId);
    }

    public bool Matches(UsageRecord record) =>
        IsBeforeCursor(record)
        && (Model is null || record.Model == Model)
        && (KeyId is null || record.KeyId == KeyId)
        && (DeploymentId is null || record.DeploymentId == DeploymentId)
        && (SessionId is null || record.SessionId == SessionId)
        && (Status is null || record.Status == Status);

    private bool IsBeforeCursor(UsageRecord record)
    {
        if (BeforeMs is not { } before)
        {
            return true;
        }

        return record.TimestampMs < before
            || (record.TimestampMs == before && BeforeRequestId is not null && string.CompareOrdinal(record.RequestId, BeforeRequestId) < 0);
    }
}
