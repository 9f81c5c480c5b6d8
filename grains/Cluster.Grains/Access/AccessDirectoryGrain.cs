using System.Security.Cryptography;
using Cluster.Grains.Errors;
using Cluster.Grains.Models;

namespace Cluster.Grains.Access;

/// <summary>
/// Tenants and hashed keys, persisted before every change returns. Structural changes bump the
/// version that front-ends poll; "last used" times do not (they would make every front-end
/// refetch the directory every few seconds) and are written lazily.
/// </summary>
internal sealed class AccessDirectoryGrain(
    [PersistentState("access", GrainStorage.Name)] IPersistentState<AccessDirectoryState> state,
    TimeProvider time) : Grain, IAccessDirectoryGrain
{
    private static readonly TimeSpan TouchWriteInterval = TimeSpan.FromSeconds(30);
    private AccessSnapshot? _snapshot;
    private bool _touched;
    private long _lastTouchWrite;

    private AccessDirectoryState Directory => state.State;

    public Task<long> GetVersionAsync() => Task.FromResult(Directory.Version);

    public Task<AccessSnapshot> GetSnapshotAsync() => Task.FromResult(_snapshot ??= Snapshot());

    public async Task ApplyConfigurationAsync(TenantDefinition[] tenants, ApiKeyRecord[] keys, string configurationHash)
    {
        if (Directory.ConfigurationHash == configurationHash)
        {
            return;
        }

        RemoveWhere(Directory.Tenants, t => t.Source == ModelSource.Configuration);
        RemoveWhere(Directory.Keys, k => k.Source == ModelSource.Configuration);
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        foreach (var tenant in tenants)
        {
            Directory.Tenants[tenant.Id] = tenant with { Created = tenant.Created == 0 ? now : tenant.Created };
        }

        foreach (var key in keys)
        {
            Directory.Keys[key.Id] = key with { Created = key.Created == 0 ? now : key.Created };
        }

        Directory.ConfigurationHash = configurationHash;
        await SaveAsync();
    }

    public async Task<TenantDefinition> UpsertTenantAsync(TenantDefinition tenant)
    {
        var created = Directory.Tenants.TryGetValue(tenant.Id, out var existing) ? existing.Created : time.GetUtcNow().ToUnixTimeSeconds();
        var stored = tenant with { Source = ModelSource.Admin, Created = created };
        Directory.Tenants[tenant.Id] = stored;
        await SaveAsync();
        return stored;
    }

    public async Task<bool> DeleteTenantAsync(string tenantId)
    {
        if (!Directory.Tenants.Remove(tenantId))
        {
            return false;
        }

        RemoveWhere(Directory.Keys, k => k.TenantId == tenantId);
        await SaveAsync();
        return true;
    }

    public async Task<IssuedKey> IssueKeyAsync(string tenantId, string? name, ScopeLimits limits)
    {
        if (!Directory.Tenants.ContainsKey(tenantId))
        {
            throw new GatewayException(GatewayErrorCode.NotFound, $"The tenant '{tenantId}' does not exist.", "tenant");
        }

        var secret = "sk-cc-" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(30)).Replace('+', 'A').Replace('/', 'B');
        var hash = KeyHash.Of(secret);
        var key = new ApiKeyRecord(
            Id: "key_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            TenantId: tenantId,
            Prefix: KeyHash.PrefixOf(secret),
            Hash: hash,
            Created: time.GetUtcNow().ToUnixTimeSeconds(),
            LastUsed: null,
            Limits: limits,
            Source: ModelSource.Admin,
            Name: name);
        Directory.Keys[key.Id] = key;
        await SaveAsync();
        return new IssuedKey(key, secret);
    }

    public async Task<bool> RevokeKeyAsync(string tenantId, string keyId)
    {
        if (!Directory.Keys.TryGetValue(keyId, out var key) || key.TenantId != tenantId)
        {
            return false;
        }

        Directory.Keys.Remove(keyId);
        await SaveAsync();
        return true;
    }

    public async Task TouchKeysAsync(Dictionary<string, long> lastUsed)
    {
        foreach (var (keyId, used) in lastUsed)
        {
            if (Directory.Keys.TryGetValue(keyId, out var key) && (key.LastUsed ?? 0) < used)
            {
                Directory.Keys[keyId] = key with { LastUsed = used };
                _touched = true;
            }
        }

        if (_touched && time.GetElapsedTime(_lastTouchWrite) >= TouchWriteInterval)
        {
            _lastTouchWrite = time.GetTimestamp();
            _touched = false;
            await state.WriteStateAsync();
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_touched)
        {
            await state.WriteStateAsync(cancellationToken);
        }
    }

    private async Task SaveAsync()
    {
        Directory.Version++;
        _touched = false;
        await state.WriteStateAsync();
        _snapshot = Snapshot();
    }

    private AccessSnapshot Snapshot() => new(Directory.Version, [.. Directory.Tenants.Values], [.. Directory.Keys.Values]);

    private static void RemoveWhere<T>(Dictionary<string, T> items, Func<T, bool> predicate)
    {
        foreach (var (id, item) in items.ToArray())
        {
            if (predicate(item))
            {
                items.Remove(id);
            }
        }
    }
}
