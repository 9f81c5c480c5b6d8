using System.Collections.Frozen;

namespace Cluster.Grains.Access;

/// <summary>An access snapshot indexed for the request path: key hash → key and tenant.</summary>
public sealed class AccessIndex
{
    private readonly FrozenDictionary<string, (ApiKeyRecord Key, TenantDefinition Tenant)> _byHash;
    private readonly FrozenDictionary<string, TenantDefinition> _tenants;
    private readonly FrozenDictionary<string, ApiKeyRecord> _byId;

    public AccessIndex(AccessSnapshot snapshot)
    {
        Snapshot = snapshot;
        _tenants = snapshot.Tenants.ToFrozenDictionary(t => t.Id, StringComparer.Ordinal);
        var byHash = new Dictionary<string, (ApiKeyRecord, TenantDefinition)>(StringComparer.Ordinal);
        foreach (var key in snapshot.Keys)
        {
            if (_tenants.TryGetValue(key.TenantId, out var tenant))
            {
                byHash[key.Hash] = (key, tenant);
            }
        }

        _byHash = byHash.ToFrozenDictionary(StringComparer.Ordinal);
        _byId = snapshot.Keys.ToFrozenDictionary(k => k.Id, StringComparer.Ordinal);
    }

    public AccessSnapshot Snapshot { get; }

    public bool HasTenants => _tenants.Count > 0;

    public bool TryFindKey(string hash, out ApiKeyRecord key, out TenantDefinition tenant)
    {
        if (_byHash.TryGetValue(hash, out var found))
        {
            (key, tenant) = found;
            return true;
        }

        key = null!;
        tenant = null!;
        return false;
    }

    public TenantDefinition? Tenant(string id) => _tenants.GetValueOrDefault(id);

    public ApiKeyRecord? KeyById(string id) => _byId.GetValueOrDefault(id);
}
