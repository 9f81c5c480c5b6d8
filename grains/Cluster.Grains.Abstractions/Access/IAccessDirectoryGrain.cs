namespace Cluster.Grains.Access;

/// <summary>
/// Tenants and API keys, one per cluster (key <see cref="Key"/>), persisted. Front-ends read it
/// through their access view; changes (a revoked key) reach every front-end within about a
/// second.
/// </summary>
[Alias("Cluster.IAccessDirectoryGrain")]
public interface IAccessDirectoryGrain : IGrainWithStringKey
{
    public const string Key = "access";

    [Alias("GetVersion")]
    Task<long> GetVersionAsync();

    [Alias("GetSnapshot")]
    Task<AccessSnapshot> GetSnapshotAsync();

    /// <summary>Replaces configured tenants and keys unless <paramref name="configurationHash"/> was applied already.</summary>
    [Alias("ApplyConfiguration")]
    Task ApplyConfigurationAsync(TenantDefinition[] tenants, ApiKeyRecord[] keys, string configurationHash);

    /// <summary>Creates or replaces a tenant.</summary>
    [Alias("UpsertTenant")]
    Task<TenantDefinition> UpsertTenantAsync(TenantDefinition tenant);

    /// <summary>Deletes a tenant and revokes its keys; false when there was none.</summary>
    [Alias("DeleteTenant")]
    Task<bool> DeleteTenantAsync(string tenantId);

    /// <summary>Issues a new key for a tenant; the secret is returned once and only its hash is kept.</summary>
    [Alias("IssueKey")]
    Task<IssuedKey> IssueKeyAsync(string tenantId, string? name, ScopeLimits limits);

    /// <summary>Revokes a key; false when there was none.</summary>
    [Alias("RevokeKey")]
    Task<bool> RevokeKeyAsync(string tenantId, string keyId);

    /// <summary>Notes when keys were last used (batched by front-ends, at most every few seconds).</summary>
    [Alias("TouchKeys")]
    Task TouchKeysAsync(Dictionary<string, long> lastUsed);
}
