namespace Cluster.Grains.Responses;

/// <summary>
/// Writes what a new response leaves in storage straight to grain storage: its record, under its
/// <see cref="IResponseGrain"/>'s identity, and its retention-index entry, in a bucket of this
/// writer's own (what <see cref="IResponseWriterGrain"/> does, behind a grain call). Registered in
/// every silo: a front-end that hosts a silo finds it in its own services and writes through it
/// directly, no grain call on the turn's path; a client-mode front-end calls the writer grain.
/// </summary>
public interface IResponseRecordWriter
{
    /// <summary>Stores <paramref name="response"/> as response <paramref name="id"/>; durable when it returns. Storing it again replaces it.</summary>
    Task StoreAsync(string id, StoredResponse response);

    /// <summary>
    /// Notes response <paramref name="id"/> in the retention index under the hour it expires in, so
    /// the sweep deletes it even if nobody reads it again; durable when it returns. The entry goes to
    /// this writer's own bucket of the hour (noted at the retention root before its first write),
    /// with the entries of concurrent turns in one write.
    /// </summary>
    Task IndexAsync(string id, long expiresAtMs);
}
