using Cluster.Grains.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Concurrency;
using Orleans.Storage;

namespace Cluster.Grains.Responses;

/// <summary>
/// One bucket of the retention index, written append-only through an <see cref="ExpiryPartLog"/>:
/// each write stores a new part row holding only the ids added since the last one, so a response
/// costs its own id, not a rewrite of the whole bucket (a busy hour's bucket grows to thousands of
/// ids). The buckets a silo's <see cref="ResponseRecordWriter"/> writes itself are swept by this
/// grain too: they have the same rows under a key of their own.
/// </summary>
[Reentrant]
internal sealed class ResponseExpiryGrain : Grain, IResponseExpiryGrain
{
    private const string LegacyName = "expiry";

    private IGrainStorage _storage = null!;
    private ExpiryPartLog _log = null!;

    // The parts stored, in order (their rows' versions, for the sweep's deletes).
    private readonly List<GrainState<ResponseExpiryState>> _parts = [];

    // Ids stored or being stored by this activation: an add sent again (a retried call) is not written twice.
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _storage = ServiceProvider.GetRequiredKeyedService<IGrainStorage>(GrainStorage.Name);

        // Parts are numbered without gaps: part n + 1 is written only once part n is.
        while (true)
        {
            var part = new GrainState<ResponseExpiryState>(new ResponseExpiryState());
            await _storage.ReadStateAsync(ExpiryPartLog.PartName(_parts.Count), this.GetGrainId(), part);
            if (!part.RecordExists)
            {
                break;
            }

            _parts.Add(part);
            _known.UnionWith(part.State!.ResponseIds);
        }

        _log = new ExpiryPartLog(_storage, this.GetGrainId(), _parts.Count, _parts.Add);
    }

    public async Task AddAsync(string responseId)
    {
        if (!_known.Add(responseId))
        {
            return;
        }

        try
        {
            await _log.AddAsync(responseId);
        }
        catch
        {
            // Not stored: a retried add writes it again.
            _known.Remove(responseId);
            throw;
        }
    }

    public async Task<int> SweepAsync()
    {
        // Nothing is added to an hour being swept (it is over), but a write still in flight finishes first.
        await _log.Writing;

        var legacy = new GrainState<ResponseExpiryState>(new ResponseExpiryState());
        await _storage.ReadStateAsync(LegacyName, this.GetGrainId(), legacy);
        var ids = new HashSet<string>(legacy.State!.ResponseIds, StringComparer.Ordinal);
        foreach (var part in _parts)
        {
            ids.UnionWith(part.State!.ResponseIds);
        }

        var deleted = 0;
        foreach (var id in ids)
        {
            // A response deleted by its owner reads as absent: nothing remains of it either.
            if (await GrainFactory.Get<IResponseGrain>(id).ExpireAsync())
            {
                deleted++;
            }
        }

        // Newest part first, so a sweep cut short leaves parts numbered without gaps.
        for (var i = _parts.Count - 1; i >= 0; i--)
        {
            await _storage.ClearStateAsync(ExpiryPartLog.PartName(i), this.GetGrainId(), _parts[i]);
            _parts.RemoveAt(i);
        }

        if (legacy.RecordExists)
        {
            await _storage.ClearStateAsync(LegacyName, this.GetGrainId(), legacy);
        }

        _known.Clear();
        _log = new ExpiryPartLog(_storage, this.GetGrainId(), 0, _parts.Add);
        DeactivateOnIdle();
        return deleted;
    }
}
