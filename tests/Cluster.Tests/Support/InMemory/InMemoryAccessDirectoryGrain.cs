using Cluster.Grains.Access;

namespace Cluster.Tests.Support.InMemory;

/// <summary>The access directory for unit tests: a snapshot a test replaces (bumping the version), read by <c>AccessView</c>.</summary>
public sealed class InMemoryAccessDirectoryGrain : IAccessDirectoryGrain
{
    private AccessSnapshot _snapshot = new(1, [], []);

    public int VersionReads;

    public int SnapshotReads;

    /// <summary>When set, version reads fail with it, as a directory on a silo that just died does.</summary>
    public Exception? Failure { get; set; }

    public void Publish(params TenantDefinition[] tenants)
    {
        var current = Volatile.Read(ref _snapshot);
        Volatile.Write(ref _snapshot, new AccessSnapshot(current.Version + 1, tenants, []));
    }

    public Task<long> GetVersionAsync()
    {
        Interlocked.Increment(ref VersionReads);
        if (Failure is { } failure)
        {
            return Task.FromException<long>(failure);
        }

        return Task.FromResult(Volatile.Read(ref _snapshot).Version);
    }

    public Task<AccessSnapshot> GetSnapshotAsync()
    {
        Interlocked.Increment(ref SnapshotReads);
        return Task.FromResult(Volatile.Read(ref _snapshot));
    }

    public Task ApplyConfigurationAsync(TenantDefinition[] tenants, ApiKeyRecord[] keys, string configurationHash) => throw new NotSupportedException();

    public Task<TenantDefinition> UpsertTenantAsync(TenantDefinition tenant) => throw new NotSupportedException();

    public Task<bool> DeleteTenantAsync(string tenantId) => throw new NotSupportedException();

    public Task<IssuedKey> IssueKeyAsync(string tenantId, string? name, ScopeLimits limits) => throw new NotSupportedException();

    public Task<bool> RevokeKeyAsync(string tenantId, string keyId) => throw new NotSupportedException();

    public Task TouchKeysAsync(Dictionary<string, long> lastUsed) => throw new NotSupportedException();
}
