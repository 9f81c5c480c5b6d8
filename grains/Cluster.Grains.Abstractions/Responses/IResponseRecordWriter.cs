namespace Cluster.Grains.Responses;

/// <summary>
/// Writes a new response's record straight to grain storage, under its <see cref="IResponseGrain"/>'s
/// identity (what <see cref="IResponseWriterGrain"/> does, behind a grain call). Registered in every
/// silo: a front-end that hosts a silo finds it in its own services and writes through it directly,
/// one grain call fewer on the turn's path; a client-mode front-end calls the writer grain.
/// </summary>
public interface IResponseRecordWriter
{
    /// <summary>Stores <paramref name="response"/> as response <paramref name="id"/>; durable when it returns. Storing it again replaces it.</summary>
    Task StoreAsync(string id, StoredResponse response);
}
