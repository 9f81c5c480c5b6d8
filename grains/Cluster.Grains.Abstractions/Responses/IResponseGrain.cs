namespace Cluster.Grains.Responses;

/// <summary>
/// One stored response (key: its id, <c>resp_</c> and 192 random bits). Its state is durable in
/// grain storage, so a chain continues on any front-end, after a silo dies and after the whole
/// cluster restarts. Every read names the caller's tenant: another tenant's response, a deleted
/// one and an expired one all read as absent.
/// </summary>
[Alias("Cluster.IResponseGrain")]
public interface IResponseGrain : IGrainWithStringKey
{
    /// <summary>Stores the response; durable when it returns. Storing it again (same id) replaces it.</summary>
    [Alias("Store")]
    Task StoreAsync(StoredResponse response);

    /// <summary>The response, or null when it does not exist for <paramref name="tenant"/> (never stored, deleted, expired, or another tenant's).</summary>
    [Alias("Get")]
    Task<StoredResponse?> GetAsync(string tenant);

    /// <summary>
    /// Whether the response exists for <paramref name="tenant"/> (as <see cref="GetAsync"/>, without
    /// the record): a front-end that holds a chain's context checks this instead of reading it again.
    /// </summary>
    [Alias("Exists")]
    Task<bool> ExistsAsync(string tenant);

    /// <summary>
    /// Asked of the first response of a chain: the index in <paramref name="chain"/> (the chain's
    /// response ids, oldest first, this one first) of the first response no longer there for
    /// <paramref name="tenant"/> (0 when this one is gone), or -1 when all are.
    /// </summary>
    [Alias("FirstGone")]
    Task<int> FirstGoneAsync(string tenant, string[] chain);

    /// <summary>
    /// Notes, in the first response of a chain, that <paramref name="responseId"/> of the chain is
    /// being deleted; durable when it returns (nothing to note when this response is gone).
    /// </summary>
    [Alias("NoteDeleted")]
    Task NoteDeletedAsync(string responseId);

    /// <summary>Deletes the response from storage; false when it did not exist for <paramref name="tenant"/>.</summary>
    [Alias("Delete")]
    Task<bool> DeleteAsync(string tenant);

    /// <summary>The retention sweep: deletes the response from storage if it has expired; true when nothing of it remains.</summary>
    [Alias("Expire")]
    Task<bool> ExpireAsync();
}
