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
    /// Readies the grain of a response about to be stored (its activation reads the absent record
    /// from storage), so a turn does this while the backend works and <see cref="StoreAsync"/> is
    /// then one storage write.
    /// </summary>
    [Alias("Prepare")]
    Task PrepareAsync();

    /// <summary>Deletes the response from storage; false when it did not exist for <paramref name="tenant"/>.</summary>
    [Alias("Delete")]
    Task<bool> DeleteAsync(string tenant);

    /// <summary>The retention sweep: deletes the response from storage if it has expired; true when nothing of it remains.</summary>
    [Alias("Expire")]
    Task<bool> ExpireAsync();
}
