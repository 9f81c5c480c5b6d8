namespace Cluster.Grains.Responses;

/// <summary>
/// Writes a new response's record (and its retention-index entry) straight to grain storage, under its <see cref="IResponseGrain"/>'s
/// identity, without activating that grain: a turn's end waits for one storage write, not for a
/// grain activation (directory registration and a read of the absent record) as well. A stateless
/// worker (key 0), so the write runs on the calling silo. The response's grain reads the record
/// when it is first asked for it.
/// </summary>
[Alias("Cluster.IResponseWriterGrain")]
public interface IResponseWriterGrain : IGrainWithIntegerKey
{
    /// <summary>Stores <paramref name="response"/> as response <paramref name="id"/>; durable when it returns. Storing it again replaces it.</summary>
    [Alias("Store")]
    Task StoreAsync(string id, StoredResponse response);

    /// <summary>Notes response <paramref name="id"/> in the retention index (<see cref="IResponseRecordWriter.IndexAsync"/>); durable when it returns.</summary>
    [Alias("Index")]
    Task IndexAsync(string id, long expiresAtMs);
}
