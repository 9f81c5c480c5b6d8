namespace Cluster.Grains.Responses;

/// <summary>
/// One bucket of the retention index: the ids of the stored responses that expire within an hour.
/// A bucket is either one of the hour's shards (key <see cref="KeyOf(string, int)"/>, written
/// through this grain), or a writer's own (key <see cref="WriterKeyOf"/>, written
/// straight to storage by the silo's <see cref="IResponseRecordWriter"/> and noted at the root).
/// Swept once the hour is over: every response in it that has expired is deleted from storage,
/// then the bucket itself.
/// </summary>
[Alias("Cluster.IResponseExpiryGrain")]
public interface IResponseExpiryGrain : IGrainWithStringKey
{
    /// <summary>Buckets per hour: the ids of one hour are spread over this many grains by a hash of the id.</summary>
    public const int Shards = 32;

    /// <summary>The hour a response that expires at <paramref name="expiresAtMs"/> is swept after, as <c>yyyyMMddHH</c> (UTC).</summary>
    public static string HourOf(long expiresAtMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(expiresAtMs).UtcDateTime.ToString("yyyyMMddHH", System.Globalization.CultureInfo.InvariantCulture);

    public static string KeyOf(string hour, string responseId) => KeyOf(hour, (int)((uint)StableHash(responseId) % Shards));

    public static string KeyOf(string hour, int shard) => $"{hour}-{shard.ToString("00", System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>The key of a writer's own bucket of <paramref name="hour"/>; <paramref name="writer"/> is unique to the writer.</summary>
    public static string WriterKeyOf(string hour, string writer) => $"{hour}-{writer}";

    /// <summary>Notes a response of this bucket; durable when it returns.</summary>
    [Alias("Add")]
    Task AddAsync(string responseId);

    /// <summary>Deletes the expired responses of this bucket, then the bucket; the number deleted.</summary>
    [Alias("Sweep")]
    Task<int> SweepAsync();

    private static int StableHash(string value)
    {
        // FNV-1a: string.GetHashCode differs between processes, and every front-end must pick the same shard.
        var hash = 2166136261u;
        foreach (var c in value)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)hash;
    }
}
