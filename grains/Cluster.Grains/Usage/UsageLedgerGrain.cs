using Cluster.Grains.Errors;
using Cluster.Grains.Placement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Storage;

namespace Cluster.Grains.Usage;

/// <summary>
/// A ledger page, stored as a head and fixed-size segments (each its own storage row), so a write
/// costs the same however full the page is, and no row outgrows Azure Table's entity size. Only the
/// open segment and the most recent request ids stay in memory; full segments are read back from
/// storage when a usage query asks, so memory does not grow with the page. Writes
/// are group-committed: records that arrive while a write is in flight are all made durable by
/// the next single write, and every caller returns only once its record is stored. Reentrant so
/// records keep arriving during a write; a write stores a copy, so they do not disturb it.
/// Rollups: each segment row carries the hourly usage of every segment before it (its base), so
/// the open segment's base plus its own records is the page's usage, kept by the same writes.
/// When a write covers a sealed segment and the new open one, they are written in that order, so
/// a stored base never counts a record that is not stored.
/// A page lives on its home silo (<see cref="HomeSiloPlacement"/>), so a tenant's pages spread over
/// the silos and follow the membership; a moved page reads its head and open segment back.
/// </summary>
[Reentrant, HomeSiloPlacement]
internal sealed partial class UsageLedgerGrain(ILogger<UsageLedgerGrain> logger) : Grain, IUsageLedgerGrain
{
    public const int SegmentSize = 64;

    /// <summary>Request ids remembered to make recording idempotent; a repeat comes within moments, not hours.</summary>
    private const int RememberedIds = 65_536;
    private const string HeadName = "ledger";
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
    private readonly Queue<string> _idOrder = new();
    private readonly List<GrainState<LedgerSegment>> _segments = [];

    /// <summary>Segments sealed before this activation whose request ids are loaded (see <see cref="RecordAsync"/>).</summary>
    private readonly HashSet<int> _scanned = [];
    private int _sealedAtActivation;
    private readonly HashSet<int> _dirty = [];
    private GrainState<LedgerHead> _head = new(new LedgerHead());
    private UsageRollup _openBase = new();

    /// <summary>The page's rollup as last answered; dropped when a record arrives (a past day's page keeps it).</summary>
    private UsageBucket[]? _rollup;
    private bool _headDirty;
    private IGrainStorage _storage = null!;
    private Task? _writing;
    private Task? _queued;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _storage = ServiceProvider.GetRequiredKeyedService<IGrainStorage>(GrainStorage.Name);
        await _storage.ReadStateAsync(HeadName, this.GetGrainId(), _head);
        // Sealed segments are never written again: only the open (last) one is read now.
        for (var i = 0; i < Head.Segments - 1; i++)
        {
            _segments.Add(new GrainState<LedgerSegment>(null!));
        }

        _sealedAtActivation = Math.Max(0, Head.Segments - 1);
        if (Head.Segments > 0)
        {
            var open = await ReadSegmentAsync(Head.Segments - 1);
            _segments.Add(open);
            foreach (var record in Records(open))
            {
                Remember(record.RequestId);
            }

            var openState = open.State ??= new LedgerSegment();
            if (openState.Base is null && Head.Segments > 1)
            {
                // A page written before rollups: sum its sealed segments once; the next write stores the base.
                var rollup = new UsageRollup();
                for (var i = 0; i < Head.Segments - 1; i++)
                {
                    rollup.AddRange(Records(await ReadSegmentAsync(i)));
                }

                openState.Base = rollup.ToBuckets();
            }

            _openBase = UsageRollup.Of(openState.Base);
        }
    }

    public Task RecordAsync(UsageRecord record)
    {
        // A record sent again (its first write landed but the answer was lost with a silo, or it was
        // replayed from a front-end's spool) may sit in a segment sealed before this activation: it
        // can only be in one whose newest record is no older than it. Read those once, then decide.
        if (!_ids.Contains(record.RequestId) && UnscannedSegmentsThatMayHold(record) is { Count: > 0 } unscanned)
        {
            return RecordAfterScanAsync(record, unscanned);
        }

        if (!Remember(record.RequestId))
        {
            // Already recorded, or being recorded: wait for the write that covers it.
            return _queued is { IsCompleted: false } ? _queued : _writing is { IsCompleted: false } ? _writing : Task.CompletedTask;
        }

        if (_segments.Count == 0 || Records(_segments[^1]).Count >= SegmentSize)
        {
            if (_segments.Count > 0)
            {
                // Seal the open segment: its records join the base of the next one.
                var sealedRecords = Records(_segments[^1]);
                _openBase.AddRange(sealedRecords);
                PadSegmentMaxMs(_segments.Count - 1);
                Head.SegmentMaxMs.Add(sealedRecords.Count == 0 ? long.MaxValue : sealedRecords.Max(r => r.TimestampMs));
            }

            _segments.Add(new GrainState<LedgerSegment>(new LedgerSegment { Base = _openBase.ToBuckets() }));
            Head.Segments = _segments.Count;
            _headDirty = true;
        }

        Records(_segments[^1]).Add(record);
        _dirty.Add(_segments.Count - 1);
        _rollup = null;
        return CommitAsync();
    }

    public Task RecordManyAsync(UsageRecord[] records)
    {
        if (records.Length == 1)
        {
            return RecordAsync(records[0]);
        }

        var writes = new Task[records.Length];
        for (var i = 0; i < records.Length; i++)
        {
            writes[i] = RecordAsync(records[i]);
        }

        return Task.WhenAll(writes);
    }

    private List<int> UnscannedSegmentsThatMayHold(UsageRecord record)
    {
        var found = new List<int>();
        for (var i = 0; i < _sealedAtActivation; i++)
        {
            var newest = i < Head.SegmentMaxMs.Count ? Head.SegmentMaxMs[i] : long.MaxValue;
            if (newest >= record.TimestampMs && !_scanned.Contains(i))
            {
                found.Add(i);
            }
        }

        return found;
    }

    private async Task RecordAfterScanAsync(UsageRecord record, List<int> segments)
    {
        foreach (var index in segments)
        {
            if (_scanned.Add(index))
            {
                var segment = _segments[index].State is null ? await ReadSegmentAsync(index) : _segments[index];
                foreach (var stored in Records(segment))
                {
                    Remember(stored.RequestId);
                }
            }
        }

        await RecordAsync(record);
    }

    public async Task<UsageRecord[]> GetRecordsAsync()
    {
        var segments = await Task.WhenAll(_segments.Select((segment, index) =>
            segment.State is null ? ReadSegmentAsync(index) : Task.FromResult(segment)));
        return segments.SelectMany(Records).ToArray();
    }

    public Task<UsageBucket[]> GetRollupAsync()
    {
        if (_segments.Count == 0)
        {
            return Task.FromResult(Array.Empty<UsageBucket>());
        }

        if (_rollup is null)
        {
            var rollup = _openBase.Copy();
            rollup.AddRange(Records(_segments[^1]));
            _rollup = [.. rollup.ToBuckets()];
        }

        return Task.FromResult(_rollup);
    }

    public async Task<UsageRecord[]> GetRecentAsync(UsageRecordFilter filter)
    {
        var limit = Math.Clamp(filter.Limit, 1, UsageLedgerLimits.MaxListing);

        // The newest timestamp in segments 0..i, for each sealed segment i (unknown: could be anything).
        var newestUpTo = new long[Math.Max(0, _segments.Count - 1)];
        for (var i = 0; i < newestUpTo.Length; i++)
        {
            var newest = i < Head.SegmentMaxMs.Count ? Head.SegmentMaxMs[i] : long.MaxValue;
            newestUpTo[i] = i == 0 ? newest : Math.Max(newestUpTo[i - 1], newest);
        }

        var found = new List<UsageRecord>();
        for (var i = _segments.Count - 1; i >= 0; i--)
        {
            // Stop once no older segment can hold a record newer than the last one kept.
            if (found.Count >= limit && i < newestUpTo.Length && newestUpTo[i] < found[limit - 1].TimestampMs)
            {
                break;
            }

            var segment = _segments[i].State is null ? await ReadSegmentAsync(i) : _segments[i];
            found.AddRange(Records(segment).Where(filter.Matches));
            found.Sort(UsageRecordFilter.CompareNewestFirst);
            if (found.Count > limit)
            {
                found.RemoveRange(limit, found.Count - limit);
            }
        }

        return [.. found];
    }

    private Task CommitAsync()
    {
        // A queued write has not taken its copy yet: it will include this record. (Checked first:
        // between the in-flight write finishing and the queued one starting, other turns run.)
        if (_queued is { IsCompleted: false })
        {
            return _queued;
        }

        if (_writing is null or { IsCompleted: true })
        {
            _writing = WriteAsync();
            return _writing;
        }

        // A write is in flight and took its copy before this record: queue the next one.
        _queued = WriteAfterAsync(_writing);
        return _queued;
    }

    private async Task WriteAfterAsync(Task previous)
    {
        try
        {
            await previous;
        }
        catch (Exception)
        {
            // Its callers saw the failure; this write retries everything still dirty.
        }

        _queued = null;
        _writing = WriteAsync();
        await _writing;
    }

    private async Task WriteAsync()
    {
        // Take the copies now, before the first await: records arriving later wait for the next write.
        var headDirty = _headDirty;
        var head = new LedgerHead { Segments = Head.Segments, SegmentMaxMs = [.. Head.SegmentMaxMs] };
        var dirty = _dirty.Order().Select(i => (Index: i, Records: new List<UsageRecord>(Records(_segments[i])))).ToArray();
        _headDirty = false;
        _dirty.Clear();
        try
        {
            // The head first: a segment the head does not count would not be read back.
            if (headDirty)
            {
                var state = new GrainState<LedgerHead>(head) { ETag = _head.ETag, RecordExists = _head.RecordExists };
                try
                {
                    await _storage.WriteStateAsync(HeadName, this.GetGrainId(), state);
                }
                catch (InconsistentStateException)
                {
                    // Our write landed but its answer was lost, or another activation wrote: take
                    // the stored version, keep the larger segment count, and write again.
                    var stored = new GrainState<LedgerHead>(new LedgerHead());
                    await _storage.ReadStateAsync(HeadName, this.GetGrainId(), stored);
                    var storedMaxMs = stored.State?.SegmentMaxMs ?? [];
                    state = new GrainState<LedgerHead>(new LedgerHead
                    {
                        Segments = Math.Max(head.Segments, stored.State?.Segments ?? 0),
                        SegmentMaxMs = head.SegmentMaxMs.Count >= storedMaxMs.Count ? head.SegmentMaxMs : storedMaxMs,
                    })
                    {
                        ETag = stored.ETag,
                        RecordExists = stored.RecordExists,
                    };
                    await _storage.WriteStateAsync(HeadName, this.GetGrainId(), state);
                }

                (_head.ETag, _head.RecordExists) = (state.ETag, state.RecordExists);
            }

            // In order, one after another: a segment's base counts the segments before it, so those
            // are stored first. (Two segments are dirty only when one was just sealed: 1 write in 64.)
            foreach (var (index, records) in dirty)
            {
                await WriteSegmentAsync(index, records);
            }
        }
        catch (Exception ex)
        {
            _headDirty |= headDirty;
            foreach (var (index, _) in dirty)
            {
                _dirty.Add(index);
            }

            LogWriteFailed(logger, ex, this.GetPrimaryKeyString());
            throw new GatewayException(GatewayErrorCode.ClusterUnavailable, "The usage ledger could not be written; the request was not completed.")
            {
                RetryAfter = TimeSpan.FromSeconds(2),
            };
        }
    }

    private async Task WriteSegmentAsync(int index, List<UsageRecord> records)
    {
        var stored = _segments[index];
        var segmentBase = stored.State?.Base;
        var state = new GrainState<LedgerSegment>(new LedgerSegment { Records = records, Base = segmentBase }) { ETag = stored.ETag, RecordExists = stored.RecordExists };
        try
        {
            await _storage.WriteStateAsync(SegmentName(index), this.GetGrainId(), state);
        }
        catch (InconsistentStateException)
        {
            // Our write landed but its answer was lost, or another activation wrote this segment:
            // merge what is stored (by request id) with what we hold, and write on its version.
            var current = await ReadSegmentAsync(index);
            var merged = new List<UsageRecord>(records);
            var ids = records.Select(r => r.RequestId).ToHashSet(StringComparer.Ordinal);
            var extras = Records(current).Where(r => ids.Add(r.RequestId)).ToList();
            merged.AddRange(extras);
            state = new GrainState<LedgerSegment>(new LedgerSegment { Records = merged, Base = segmentBase }) { ETag = current.ETag, RecordExists = current.RecordExists };
            await _storage.WriteStateAsync(SegmentName(index), this.GetGrainId(), state);
            AdoptStoredRecords(index, extras);
        }

        (stored.ETag, stored.RecordExists) = (state.ETag, state.RecordExists);
        if (index < _segments.Count - 1 && records.Count >= SegmentSize && !_dirty.Contains(index))
        {
            // Full and stored: let it go from memory; a usage query reads it back.
            stored.State = null!;
        }
    }

    /// <summary>
    /// Records another activation stored in segment <paramref name="index"/>: they are the page's
    /// too, so they join its records in memory, and the bases and newest timestamps after it.
    /// </summary>
    private void AdoptStoredRecords(int index, List<UsageRecord> extras)
    {
        var fresh = extras.Where(r => Remember(r.RequestId)).ToList();
        if (fresh.Count == 0)
        {
            return;
        }

        _rollup = null;
        if (_segments[index].State is { } held)
        {
            held.Records.AddRange(fresh);
        }

        if (index < _segments.Count - 1)
        {
            _openBase.AddRange(fresh);
            if (index < Head.SegmentMaxMs.Count)
            {
                Head.SegmentMaxMs[index] = Math.Max(Head.SegmentMaxMs[index], fresh.Max(r => r.TimestampMs));
                _headDirty = true;
            }

            for (var later = index + 1; later < _segments.Count; later++)
            {
                if (_segments[later].State is { } segment)
                {
                    var rollup = UsageRollup.Of(segment.Base);
                    rollup.AddRange(fresh);
                    segment.Base = rollup.ToBuckets();
                    _dirty.Add(later);
                }
            }
        }
    }

    private void PadSegmentMaxMs(int sealedSegments)
    {
        while (Head.SegmentMaxMs.Count < sealedSegments)
        {
            Head.SegmentMaxMs.Add(long.MaxValue);
        }
    }

    /// <summary>Notes a request id; false when it was seen recently.</summary>
    private bool Remember(string requestId)
    {
        if (!_ids.Add(requestId))
        {
            return false;
        }

        _idOrder.Enqueue(requestId);
        if (_idOrder.Count > RememberedIds)
        {
            _ids.Remove(_idOrder.Dequeue());
        }

        return true;
    }

    private async Task<GrainState<LedgerSegment>> ReadSegmentAsync(int index)
    {
        var segment = new GrainState<LedgerSegment>(new LedgerSegment());
        await _storage.ReadStateAsync(SegmentName(index), this.GetGrainId(), segment);
        return segment;
    }

    private LedgerHead Head => _head.State ??= new LedgerHead();

    private static List<UsageRecord> Records(GrainState<LedgerSegment> segment) => (segment.State ??= new LedgerSegment()).Records;


    private static string SegmentName(int index) => "ledger-" + index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [LoggerMessage(31, LogLevel.Error, "Ledger page {Page} could not be written")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, string page);
}
