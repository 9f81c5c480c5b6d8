using Microsoft.Extensions.DependencyInjection;
using Orleans.Concurrency;
using Orleans.Storage;

namespace Cluster.Grains.Responses;

/// <summary>
/// One hour's shard of the retention index, written append-only: each write stores a new part row
/// holding only the ids added since the last one, so a response costs its own id, not a rewrite of
/// the whole bucket (a busy hour's bucket grows to thousands of ids). Adds that arrive while a part
/// is being written go together in the next part (one write in flight).
/// </summary>
[Reentrant]
internal sealed class ResponseExpiryGrain : Grain, IResponseExpiryGrain
{
    private const string LegacyName = "expiry";

    private IGrainStorage _storage = null!;

    // The parts stored, in order (their rows' versions, for the sweep's deletes).
    private readonly List<GrainState<ResponseExpiryState>> _parts = [];

    // Ids stored or being stored by this activation: an add sent again (a retried call) is not written twice.
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    // The ids waiting for the next part, and the completion their callers wait on.
    private HashSet<string>? _gathering;
    private TaskCompletionSource? _gathered;
    private Task _writing = Task.CompletedTask;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _storage = ServiceProvider.GetRequiredKeyedService<IGrainStorage>(GrainStorage.Name);

        // Parts are numbered without gaps: part n + 1 is written only once part n is.
        while (true)
        {
            var part = new GrainState<ResponseExpiryState>(new ResponseExpiryState());
            await _storage.ReadStateAsync(PartName(_parts.Count), this.GetGrainId(), part);
            if (!part.RecordExists)
            {
                break;
            }

            _parts.Add(part);
            _known.UnionWith(part.State!.ResponseIds);
        }
    }

    public Task AddAsync(string responseId)
    {
        if (!_known.Add(responseId))
        {
            return Task.CompletedTask;
        }

        _gathering ??= new HashSet<string>(StringComparer.Ordinal);
        _gathered ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _gathering.Add(responseId);
        var stored = _gathered.Task;
        if (_writing.IsCompleted)
        {
            _writing = WriteGatheredAsync();
        }

        return stored;
    }

    public async Task<int> SweepAsync()
    {
        // Nothing is added to an hour being swept (it is over), but a write still in flight finishes first.
        await _writing;

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
            if (await GrainFactory.GetGrain<IResponseGrain>(id).ExpireAsync())
            {
                deleted++;
            }
        }

        // Newest part first, so a sweep cut short leaves parts numbered without gaps.
        for (var i = _parts.Count - 1; i >= 0; i--)
        {
            await _storage.ClearStateAsync(PartName(i), this.GetGrainId(), _parts[i]);
            _parts.RemoveAt(i);
        }

        if (legacy.RecordExists)
        {
            await _storage.ClearStateAsync(LegacyName, this.GetGrainId(), legacy);
        }

        _known.Clear();
        DeactivateOnIdle();
        return deleted;
    }

    /// <summary>Writes gathered ids as parts, one at a time, until none wait; a failed part fails its callers.</summary>
    private async Task WriteGatheredAsync()
    {
        while (_gathering is { } ids)
        {
            var done = _gathered!;
            _gathering = null;
            _gathered = null;
            try
            {
                await WritePartAsync(ids);
                done.SetResult();
            }
            catch (Exception ex)
            {
                // Not stored: a retried add writes them again.
                _known.ExceptWith(ids);
                done.SetException(ex);
            }
        }
    }

    private async Task WritePartAsync(HashSet<string> ids)
    {
        var number = _parts.Count;
        var part = new GrainState<ResponseExpiryState>(new ResponseExpiryState { ResponseIds = ids });
        try
        {
            await _storage.WriteStateAsync(PartName(number), this.GetGrainId(), part);
        }
        catch (InconsistentStateException)
        {
            // An earlier write of this part went through though its caller saw it fail: keep both.
            var stored = new GrainState<ResponseExpiryState>(new ResponseExpiryState());
            await _storage.ReadStateAsync(PartName(number), this.GetGrainId(), stored);
            part.State!.ResponseIds.UnionWith(stored.State!.ResponseIds);
            part.ETag = stored.ETag;
            part.RecordExists = stored.RecordExists;
            await _storage.WriteStateAsync(PartName(number), this.GetGrainId(), part);
        }

        _parts.Add(part);
    }

    private static string PartName(int number) => "expiry-part-" + number.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
