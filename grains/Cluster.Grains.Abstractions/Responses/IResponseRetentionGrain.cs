namespace Cluster.Grains.Responses;

/// <summary>
/// The retention index's root (one per cluster, key 0): the hours that have expiry buckets
/// (<see cref="IResponseExpiryGrain"/>). Each front-end's sweeper asks it now and then to sweep
/// the hours that are over; concurrent sweeps queue (not reentrant) and a swept hour is forgotten.
/// </summary>
[Alias("Cluster.IResponseRetentionGrain")]
public interface IResponseRetentionGrain : IGrainWithIntegerKey
{
    /// <summary>Notes that the hour <paramref name="hour"/> (<c>yyyyMMddHH</c>) has buckets; durable when it returns.</summary>
    [Alias("AddHour")]
    Task AddHourAsync(string hour);

    /// <summary>
    /// Notes a writer's own bucket of <paramref name="hour"/> (key from
    /// <see cref="IResponseExpiryGrain.WriterKeyOf"/>), swept with the hour's shards;
    /// durable when it returns, and before anything is written to the bucket.
    /// </summary>
    [Alias("AddBucket")]
    Task AddBucketAsync(string hour, string bucket);

    /// <summary>Sweeps every noted hour that ended before <paramref name="nowMs"/>; the number of responses deleted.</summary>
    [Alias("Sweep")]
    Task<int> SweepAsync(long nowMs);
}
