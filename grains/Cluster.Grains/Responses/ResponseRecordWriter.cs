using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Cluster.Grains.Runtime;
using Orleans.Storage;

namespace Cluster.Grains.Responses;

/// <summary>
/// See <see cref="IResponseRecordWriter"/>. The record is the one <see cref="ResponseGrain"/> keeps
/// (state <see cref="ResponseGrain.StateName"/> of the response's grain id), written as new; a write
/// sent again after it went through (a retried call) replaces it. Index entries go to buckets of
/// this writer's own, one per hour, each an <see cref="ExpiryPartLog"/> under a key no other writer
/// uses (this process's random id and the bucket's number), so no grain call and no coordination
/// with other writers is needed; <see cref="ResponseExpiryGrain"/> sweeps them once the hour is over.
/// </summary>
internal sealed class ResponseRecordWriter(IServiceProvider services, IGrainFactory grains) : IResponseRecordWriter
{
    private readonly string _writer = "w" + Guid.NewGuid().ToString("N")[..16];
    private readonly ConcurrentDictionary<string, Lazy<Task<ExpiryPartLog>>> _buckets = new(StringComparer.Ordinal);
    private IGrainStorage? _storage;
    private int _opened;

    private IGrainStorage Storage => _storage ??= services.GetRequiredKeyedService<IGrainStorage>(GrainStorage.Name);

    public async Task StoreAsync(string id, StoredResponse response)
    {
        var grainId = grains.Get<IResponseGrain>(id).GetGrainId();
        var state = new GrainState<ResponseGrainState>(new ResponseGrainState { Response = response });
        try
        {
            await Storage.WriteStateAsync(ResponseGrain.StateName, grainId, state);
        }
        catch (InconsistentStateException)
        {
            // Already written (this is a retry): replace it under the stored version.
            var current = new GrainState<ResponseGrainState>(new ResponseGrainState());
            await Storage.ReadStateAsync(ResponseGrain.StateName, grainId, current);
            state.ETag = current.ETag;
            await Storage.WriteStateAsync(ResponseGrain.StateName, grainId, state);
        }
    }

    public async Task IndexAsync(string id, long expiresAtMs)
    {
        var hour = IResponseExpiryGrain.HourOf(expiresAtMs);
        var log = await BucketAsync(hour);
        await log.AddAsync(id);
    }

    /// <summary>This writer's bucket of <paramref name="hour"/>, noted at the retention root when first used.</summary>
    private async Task<ExpiryPartLog> BucketAsync(string hour)
    {
        var opening = _buckets.GetOrAdd(hour, h => new Lazy<Task<ExpiryPartLog>>(() => OpenAsync(h)));
        try
        {
            var log = await opening.Value;
            if (_buckets.Count > 2)
            {
                // The hours before: a turn indexes under its own hour at its start, so only the one
                // before this may still be written to; a later use of an older one opens a new bucket.
                foreach (var older in _buckets.Keys.Where(h => string.CompareOrdinal(h, hour) < 0).OrderDescending().Skip(1))
                {
                    _buckets.TryRemove(older, out _);
                }
            }

            return log;
        }
        catch
        {
            // Not noted: the next turn of this hour tries again.
            _buckets.TryRemove(new KeyValuePair<string, Lazy<Task<ExpiryPartLog>>>(hour, opening));
            throw;
        }
    }

    private async Task<ExpiryPartLog> OpenAsync(string hour)
    {
        // A bucket number of its own each time: a bucket is never written by two logs.
        var bucket = IResponseExpiryGrain.WriterKeyOf(hour, _writer + "-" + Interlocked.Increment(ref _opened).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await grains.GetGrain<IResponseRetentionGrain>(0).AddBucketAsync(hour, bucket);
        return new ExpiryPartLog(Storage, grains.GetGrain<IResponseExpiryGrain>(bucket).GetGrainId(), 0);
    }
}
