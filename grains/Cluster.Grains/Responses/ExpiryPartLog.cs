using Orleans.Storage;

namespace Cluster.Grains.Responses;

/// <summary>
/// The writes of one expiry bucket (<see cref="ResponseExpiryState"/>): each write stores a new part
/// row holding only the ids added since the last one, numbered without gaps from
/// <paramref name="nextPart"/>, with one write in flight; ids added meanwhile go together in the
/// next part. A part that fails fails its adds (sent again, they are written again); a part whose
/// write went through though its answer was lost is merged with, not overwritten. Safe to call from
/// any thread: <see cref="ResponseExpiryGrain"/> keeps one per bucket grain, and
/// <see cref="ResponseRecordWriter"/> one per bucket of its own.
/// </summary>
internal sealed class ExpiryPartLog(IGrainStorage storage, GrainId bucket, int nextPart, Action<GrainState<ResponseExpiryState>>? written = null)
{
    private readonly object _gate = new();
    private int _next = nextPart;
    private HashSet<string>? _gathering;
    private TaskCompletionSource? _gathered;
    private bool _running;
    private Task _writing = Task.CompletedTask;

    /// <summary>The writes under way, done once every id added so far is stored (or failed).</summary>
    public Task Writing
    {
        get
        {
            lock (_gate)
            {
                return _writing;
            }
        }
    }

    /// <summary>Adds <paramref name="responseId"/> to the next part; durable when it returns.</summary>
    public Task AddAsync(string responseId)
    {
        lock (_gate)
        {
            _gathering ??= new HashSet<string>(StringComparer.Ordinal);
            _gathered ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _gathering.Add(responseId);
            var stored = _gathered.Task;
            if (!_running)
            {
                _running = true;
                _writing = WriteGatheredAsync();
            }

            return stored;
        }
    }

    /// <summary>Writes gathered ids as parts, one at a time, until none wait.</summary>
    private async Task WriteGatheredAsync()
    {
        // Started under the caller's lock (Monitor is reentrant), so adders wait for at most the
        // write's synchronous start, and then join the next part.
        while (true)
        {
            HashSet<string> ids;
            TaskCompletionSource done;
            lock (_gate)
            {
                if (_gathering is null)
                {
                    _running = false;
                    return;
                }

                ids = _gathering;
                done = _gathered!;
                _gathering = null;
                _gathered = null;
            }

            try
            {
                // Written first: "written?.Invoke(await …)" would skip the write itself when nobody listens.
                var part = await WritePartAsync(ids);
                written?.Invoke(part);
                done.SetResult();
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        }
    }

    private async Task<GrainState<ResponseExpiryState>> WritePartAsync(HashSet<string> ids)
    {
        var name = PartName(_next);
        var part = new GrainState<ResponseExpiryState>(new ResponseExpiryState { ResponseIds = ids });
        try
        {
            await storage.WriteStateAsync(name, bucket, part);
        }
        catch (InconsistentStateException)
        {
            // An earlier write of this part went through though its caller saw it fail: keep both.
            var stored = new GrainState<ResponseExpiryState>(new ResponseExpiryState());
            await storage.ReadStateAsync(name, bucket, stored);
            part.State!.ResponseIds.UnionWith(stored.State!.ResponseIds);
            part.ETag = stored.ETag;
            part.RecordExists = stored.RecordExists;
            await storage.WriteStateAsync(name, bucket, part);
        }

        _next++;
        return part;
    }

    public static string PartName(int number) => "expiry-part-" + number.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
