using System.Globalization;
using Cluster.Grains.Errors;
using Cluster.Grains.Placement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Storage;

namespace Cluster.Grains.Usage;

/// <summary>
/// A ledger page, stored append-only: each group commit inserts one small chunk row holding only
/// the records that arrived since the last one, so a commit costs one write of what is new however
/// full the page is. Records that arrive while <see cref="MaxChunkWrites"/> chunk writes are in
/// flight wait together for the next one, and every caller returns only once its record is stored.
/// Once enough stored chunks add up to <see cref="SegmentSize"/> records, they are folded, off the
/// request path, into a segment row (with the rollup of every segment before it: its base), the
/// head moves past them, and the chunk rows are deleted. Reads: the head, the last segment (for the
/// page's rollup) and the chunks past the head's floor, found by probing; older segments only when a
/// usage query asks. Memory holds the unfolded chunks and the most recent request ids.
/// Crash safety, step by step: a chunk is durable once inserted; a segment is written before the head
/// that counts it, and chunks are deleted only after that head, so a crash between any two steps
/// leaves every record readable exactly once (records are also de-duplicated by request id on read).
/// A page lives on its home silo (<see cref="HomeSiloPlacement"/>) and reads itself back when it moves.
/// </summary>
[Reentrant, HomeSiloPlacement]
internal sealed partial class UsageLedgerGrain(ILogger<UsageLedgerGrain> logger) : Grain, IUsageLedgerGrain
{
    /// <summary>Records per segment, at least: chunks are folded into a segment once they hold this many.</summary>
    public const int SegmentSize = 64;

    /// <summary>
    /// Chunk writes in flight at once; records arriving meanwhile wait together for the next. One:
    /// storage serves writes at a bounded rate, so under load fewer, fuller writes beat overlapping
    /// ones (measured: two in flight gave 20–30% less throughput on Azurite at every concurrency).
    /// </summary>
    public const int MaxChunkWrites = 1;

    /// <summary>
    /// Activation stops probing for chunk rows after this many missing in a row. At most
    /// <see cref="MaxChunkWrites"/> numbers are ever outstanding (in flight, or failed and to be reused),
    /// so no stored chunk lies further past a gap; kept apart so the limit can grow without losing rows.
    /// </summary>
    private const int ProbeMisses = 8;

    /// <summary>Request ids remembered to make recording idempotent; a repeat comes within moments, not hours.</summary>
    private const int RememberedIds = 65_536;
    private const string HeadName = "ledger";
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
    private readonly Queue<string> _idOrder = new();

    /// <summary>The page's segments; a segment's state is null unless read for a query.</summary>
    private readonly List<GrainState<LedgerSegment>> _segments = [];

    /// <summary>Segments whose request ids are loaded (see <see cref="RecordAsync"/>).</summary>
    private readonly HashSet<int> _scanned = [];
    private GrainState<LedgerHead> _head = new(new LedgerHead());

    /// <summary>The rollup of every segment: the page's usage without its chunks.</summary>
    private UsageRollup _segmentsRollup = new();

    /// <summary>Stored chunks not yet folded, by number (a gap found on activation is held as an empty chunk).</summary>
    private readonly SortedDictionary<int, StoredChunk> _chunks = [];

    /// <summary>Chunk numbers whose write failed: the next writes reuse them, so stored chunks leave no wide gaps.</summary>
    private readonly SortedSet<int> _freeNumbers = [];
    private readonly List<ChunkBatch> _writing = [];
    private readonly Dictionary<string, ChunkBatch> _unstored = new(StringComparer.Ordinal);
    private ChunkBatch? _pending;
    private int _nextChunk;
    private Task? _folding;
    private bool _deactivating;

    /// <summary>The page's rollup as last answered; dropped when a record arrives (a past day's page keeps it).</summary>
    private UsageBucket[]? _rollup;
    private IGrainStorage _storage = null!;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _storage = ServiceProvider.GetRequiredKeyedService<IGrainStorage>(GrainStorage.Name);
        await _storage.ReadStateAsync(HeadName, this.GetGrainId(), _head);
        for (var i = 0; i < Head.Segments; i++)
        {
            _segments.Add(new GrainState<LedgerSegment>(null!));
        }

        if (Head.Segments > 0)
        {
            await LoadLastSegmentAsync();
        }

        await LoadChunksAsync();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // A fold half done is safe to leave (see the class summary), but one finishing after the page
        // is read back elsewhere would write a stale head: let it end here first.
        _deactivating = true;
        if (_folding is { } folding)
        {
            await folding;
        }
    }

    /// <summary>The last segment gives the page's rollup (its base plus its records) and its request ids.</summary>
    private async Task LoadLastSegmentAsync()
    {
        var last = Head.Segments - 1;
        var segment = await ReadSegmentAsync(last);
        var state = segment.State ??= new LedgerSegment();
        if (state.Base is null && last > 0)
        {
            // A page written before rollups: sum its earlier segments once.
            var rollup = new UsageRollup();
            for (var i = 0; i < last; i++)
            {
                rollup.AddRange(Records(await ReadSegmentAsync(i)));
            }

            state.Base = rollup.ToBuckets();
        }

        _segmentsRollup = UsageRollup.Of(state.Base);
        _segmentsRollup.AddRange(state.Records);
        foreach (var record in state.Records)
        {
            Remember(record.RequestId);
        }

        _scanned.Add(last);
        while (Head.SegmentMaxMs.Count < Head.Segments)
        {
            // Pages written before chunks kept their last segment open and without an entry here.
            Head.SegmentMaxMs.Add(Head.SegmentMaxMs.Count == last && state.Records.Count > 0 ? state.Records.Max(r => r.TimestampMs) : long.MaxValue);
        }

        _segments[last].ETag = segment.ETag;
        _segments[last].RecordExists = segment.RecordExists;
    }

    /// <summary>Reads the chunk rows from the head's floor until <see cref="ProbeMisses"/> in a row are missing.</summary>
    private async Task LoadChunksAsync()
    {
        var number = Head.ChunkFloor;
        var lastFound = Head.ChunkFloor - 1;
        var misses = 0;
        while (misses < ProbeMisses)
        {
            var probes = await Task.WhenAll(Enumerable.Range(number, ProbeMisses).Select(ReadChunkAsync));
            foreach (var probe in probes)
            {
                if (!probe.RecordExists)
                {
                    misses++;
                    if (misses == ProbeMisses)
                    {
                        break;
                    }

                    number++;
                    continue;
                }

                misses = 0;
                for (var gap = lastFound + 1; gap < number; gap++)
                {
                    // A number whose write never landed: nothing to fold, nothing to delete.
                    _chunks[gap] = new StoredChunk([], ETag: null);
                }

                // A record stored twice (a write retried under another number after its answer was lost) counts once.
                var fresh = (probe.State?.Records ?? []).Where(r => Remember(r.RequestId)).ToList();
                _chunks[number] = new StoredChunk(fresh, probe.ETag);
                lastFound = number;
                number++;
            }
        }

        _nextChunk = lastFound + 1;
        StartFoldIfDue();
    }

    public Task RecordAsync(UsageRecord record)
    {
        // A record sent again (its first write landed but the answer was lost with a silo, or it was
        // replayed from a front-end's spool) may sit in a segment folded before this activation: it
        // can only be in one whose newest record is no older than it. Read those once, then decide.
        if (!_ids.Contains(record.RequestId) && UnscannedSegmentsThatMayHold(record) is { Count: > 0 } unscanned)
        {
            return RecordAfterScanAsync(record, unscanned);
        }

        if (!Remember(record.RequestId))
        {
            if (_unstored.TryGetValue(record.RequestId, out var holding))
            {
                // Not stored yet (in flight, or waiting again after a failed write): wait for the write that stores it.
                holding.HasWaiters = true;
                StartWrites();
                return holding.Stored;
            }

            return Task.CompletedTask;
        }

        var batch = _pending ??= new ChunkBatch();
        batch.Records.Add(record);
        batch.HasWaiters = true;
        _unstored[record.RequestId] = batch;
        _rollup = null;
        StartWrites();
        return batch.Stored;
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

    /// <summary>Starts chunk writes for the waiting records while fewer than <see cref="MaxChunkWrites"/> are in flight.</summary>
    private void StartWrites()
    {
        while (_pending is { HasWaiters: true } batch && _writing.Count < MaxChunkWrites)
        {
            _pending = null;
            batch.Number = _freeNumbers.Count > 0 ? _freeNumbers.Min : _nextChunk++;
            _freeNumbers.Remove(batch.Number);
            _writing.Add(batch);
            _ = WriteChunkAsync(batch);
        }
    }

    private async Task WriteChunkAsync(ChunkBatch batch)
    {
        var name = ChunkName(batch.Number);
        try
        {
            var state = new GrainState<LedgerChunk>(new LedgerChunk { Records = batch.Records });
            try
            {
                await _storage.WriteStateAsync(name, this.GetGrainId(), state);
            }
            catch (InconsistentStateException)
            {
                // The row exists: this number's earlier write landed although its answer was lost, or
                // another activation wrote it. Keep what is stored and add ours, on its version.
                var stored = await ReadChunkAsync(batch.Number);
                var ours = batch.Records.Select(r => r.RequestId).ToHashSet(StringComparer.Ordinal);
                var theirs = (stored.State?.Records ?? []).Where(r => !ours.Contains(r.RequestId)).ToList();
                state = new GrainState<LedgerChunk>(new LedgerChunk { Records = [.. batch.Records, .. theirs] }) { ETag = stored.ETag, RecordExists = true };
                await _storage.WriteStateAsync(name, this.GetGrainId(), state);
                AdoptStoredRecords(batch, theirs);
            }

            _writing.Remove(batch);
            foreach (var record in batch.Records)
            {
                if (_unstored.TryGetValue(record.RequestId, out var holding) && holding == batch)
                {
                    _unstored.Remove(record.RequestId);
                }
            }

            _chunks[batch.Number] = new StoredChunk(batch.Records, state.ETag);
            batch.Done.TrySetResult();
            StartFoldIfDue();
        }
        catch (Exception ex)
        {
            // Its records wait again, for the next write (the next record or a caller's retry starts
            // it: a storage outage does not turn into a loop), which reuses this number.
            _writing.Remove(batch);
            _freeNumbers.Add(batch.Number);
            var retry = _pending ??= new ChunkBatch();
            retry.Records.AddRange(batch.Records);
            foreach (var record in batch.Records)
            {
                _unstored[record.RequestId] = retry;
            }

            LogWriteFailed(logger, ex, this.GetPrimaryKeyString(), name);
            batch.Done.TrySetException(new GatewayException(GatewayErrorCode.ClusterUnavailable, "The usage ledger could not be written; the request was not completed.")
            {
                RetryAfter = TimeSpan.FromSeconds(2),
            });
        }

        // Records that came while this write held its slot go now.
        StartWrites();
    }

    /// <summary>Records another activation stored under a chunk number this one used: they are the page's too.</summary>
    private void AdoptStoredRecords(ChunkBatch batch, List<UsageRecord> stored)
    {
        foreach (var record in stored)
        {
            if (Remember(record.RequestId))
            {
                batch.Records.Add(record);
                _rollup = null;
            }
        }
    }

    /// <summary>Folds the stored chunks into a segment, in the background, once they hold a segment's worth.</summary>
    private void StartFoldIfDue()
    {
        if (_folding is null && !_deactivating && FoldableRun() is { Count: > 0 } run)
        {
            _folding = FoldAsync(run);
        }
    }

    /// <summary>The stored chunks from the floor up to the first outstanding number, if they hold a segment's worth.</summary>
    private List<int> FoldableRun()
    {
        var run = new List<int>();
        var records = 0;
        var expected = Head.ChunkFloor;
        foreach (var (number, chunk) in _chunks)
        {
            if (number != expected)
            {
                break;
            }

            run.Add(number);
            records += chunk.Records.Count;
            expected++;
        }

        return records >= SegmentSize ? run : [];
    }

    private async Task FoldAsync(List<int> run)
    {
        var folded = await TryFoldAsync(run);
        _folding = null;
        if (folded)
        {
            // More may have been stored meanwhile. After a failure, the next stored chunk tries again
            // (not at once: a storage outage must not turn into a loop of writes).
            StartFoldIfDue();
        }
    }

    /// <summary>Writes the run as the next segment, then the head that counts it, then deletes its chunk rows.</summary>
    private async Task<bool> TryFoldAsync(List<int> run)
    {
        try
        {
            var records = run.SelectMany(n => _chunks[n].Records).ToList();
            var index = Head.Segments;
            var segment = new GrainState<LedgerSegment>(new LedgerSegment { Records = records, Base = _segmentsRollup.ToBuckets() });
            try
            {
                await _storage.WriteStateAsync(SegmentName(index), this.GetGrainId(), segment);
            }
            catch (InconsistentStateException)
            {
                // Left by a fold that crashed before its head was written: the head never counted it.
                var stale = await ReadSegmentAsync(index);
                segment.ETag = stale.ETag;
                segment.RecordExists = true;
                await _storage.WriteStateAsync(SegmentName(index), this.GetGrainId(), segment);
            }

            var head = new LedgerHead
            {
                Segments = index + 1,
                SegmentMaxMs = [.. Head.SegmentMaxMs, records.Count == 0 ? long.MaxValue : records.Max(r => r.TimestampMs)],
                ChunkFloor = run[^1] + 1,
            };
            if (!await WriteHeadAsync(head))
            {
                return false;
            }

            // Only now do reads start at the new floor: the folded chunks leave memory, and storage.
            _segments.Add(new GrainState<LedgerSegment>(null!) { ETag = segment.ETag, RecordExists = true });
            _scanned.Add(index);
            _segmentsRollup.AddRange(records);
            var folded = run.Select(n => (Number: n, _chunks[n].ETag)).ToList();
            foreach (var number in run)
            {
                _chunks.Remove(number);
            }

            await DeleteChunksAsync(folded);
            return true;
        }
        catch (Exception ex)
        {
            // Nothing is lost: the chunks stay readable until a later fold succeeds.
            LogFoldFailed(logger, ex, this.GetPrimaryKeyString());
            return false;
        }
    }

    /// <summary>Deletes folded chunk rows; one left behind (a failure, a crash) lies below the floor and is never read.</summary>
    private async Task DeleteChunksAsync(List<(int Number, string? ETag)> folded)
    {
        try
        {
            foreach (var (number, etag) in folded.Where(c => c.ETag is not null))
            {
                await _storage.ClearStateAsync(ChunkName(number), this.GetGrainId(), new GrainState<LedgerChunk>(new LedgerChunk()) { ETag = etag, RecordExists = true });
            }
        }
        catch (Exception ex)
        {
            LogDeleteFailed(logger, ex, this.GetPrimaryKeyString());
        }
    }

    /// <summary>Writes the head on its version; false (and the activation ends) when another activation moved it.</summary>
    private async Task<bool> WriteHeadAsync(LedgerHead head)
    {
        var state = new GrainState<LedgerHead>(head) { ETag = _head.ETag, RecordExists = _head.RecordExists };
        try
        {
            await _storage.WriteStateAsync(HeadName, this.GetGrainId(), state);
        }
        catch (InconsistentStateException)
        {
            var stored = new GrainState<LedgerHead>(new LedgerHead());
            await _storage.ReadStateAsync(HeadName, this.GetGrainId(), stored);
            if (stored.State is not { } current || current.Segments != head.Segments || current.ChunkFloor != head.ChunkFloor)
            {
                // Another activation of this page folded meanwhile: what this one holds is stale. Its
                // records are stored in chunks; the next activation reads them back.
                LogHeadMoved(logger, this.GetPrimaryKeyString());
                DeactivateOnIdle();
                return false;
            }

            // Ours landed; its answer was lost.
            state = stored;
        }

        _head = state;
        return true;
    }

    private List<int> UnscannedSegmentsThatMayHold(UsageRecord record)
    {
        var found = new List<int>();
        for (var i = 0; i < _segments.Count; i++)
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
                foreach (var stored in Records(await ReadSegmentAsync(index)))
                {
                    Remember(stored.RequestId);
                }
            }
        }

        await RecordAsync(record);
    }

    public async Task<UsageRecord[]> GetRecordsAsync()
    {
        // Both taken before the first await: a fold ending meanwhile moves chunks into a new segment.
        var unfolded = Unfolded().ToList();
        var segments = await Task.WhenAll(Enumerable.Range(0, _segments.Count).Select(ReadSegmentAsync));
        return [.. segments.SelectMany(Records), .. unfolded];
    }

    public Task<UsageBucket[]> GetRollupAsync()
    {
        if (_rollup is null)
        {
            var rollup = _segmentsRollup.Copy();
            rollup.AddRange(Unfolded());
            _rollup = [.. rollup.ToBuckets()];
        }

        return Task.FromResult(_rollup);
    }

    public async Task<UsageRecord[]> GetRecentAsync(UsageRecordFilter filter)
    {
        var limit = Math.Clamp(filter.Limit, 1, UsageLedgerLimits.MaxListing);

        // The newest timestamp in segments 0..i, for each segment i (unknown: could be anything).
        var newestUpTo = new long[_segments.Count];
        for (var i = 0; i < newestUpTo.Length; i++)
        {
            var newest = i < Head.SegmentMaxMs.Count ? Head.SegmentMaxMs[i] : long.MaxValue;
            newestUpTo[i] = i == 0 ? newest : Math.Max(newestUpTo[i - 1], newest);
        }

        var found = Unfolded().Where(filter.Matches).ToList();
        Keep(found, limit);
        for (var i = _segments.Count - 1; i >= 0; i--)
        {
            // Stop once no older segment can hold a record newer than the last one kept.
            if (found.Count >= limit && newestUpTo[i] < found[limit - 1].TimestampMs)
            {
                break;
            }

            found.AddRange(Records(await ReadSegmentAsync(i)).Where(filter.Matches));
            Keep(found, limit);
        }

        return [.. found];
    }

    private static void Keep(List<UsageRecord> found, int limit)
    {
        found.Sort(UsageRecordFilter.CompareNewestFirst);
        if (found.Count > limit)
        {
            found.RemoveRange(limit, found.Count - limit);
        }
    }

    /// <summary>Every record not in a segment: stored chunks, chunk writes in flight, and those waiting for one.</summary>
    private IEnumerable<UsageRecord> Unfolded()
    {
        foreach (var chunk in _chunks.Values)
        {
            foreach (var record in chunk.Records)
            {
                yield return record;
            }
        }

        foreach (var batch in _writing)
        {
            foreach (var record in batch.Records)
            {
                yield return record;
            }
        }

        foreach (var record in _pending?.Records ?? [])
        {
            yield return record;
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

    private async Task<GrainState<LedgerChunk>> ReadChunkAsync(int number)
    {
        var chunk = new GrainState<LedgerChunk>(new LedgerChunk());
        await _storage.ReadStateAsync(ChunkName(number), this.GetGrainId(), chunk);
        return chunk;
    }

    private LedgerHead Head => _head.State ??= new LedgerHead();

    private static List<UsageRecord> Records(GrainState<LedgerSegment> segment) => (segment.State ??= new LedgerSegment()).Records;

    private static string SegmentName(int index) => "ledger-" + index.ToString(CultureInfo.InvariantCulture);

    private static string ChunkName(int number) => "ledger-chunk-" + number.ToString(CultureInfo.InvariantCulture);

    /// <summary>Records on their way into one chunk row: waiting for a write slot, or being written.</summary>
    private sealed class ChunkBatch
    {
        public List<UsageRecord> Records { get; } = [];

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Stored => Done.Task;

        public int Number { get; set; } = -1;

        /// <summary>A caller waits for these records (false for records only put back after a failed write).</summary>
        public bool HasWaiters { get; set; }
    }

    private sealed record StoredChunk(List<UsageRecord> Records, string? ETag);

    [LoggerMessage(31, LogLevel.Error, "Ledger page {Page} could not write {Row}")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, string page, string row);

    [LoggerMessage(36, LogLevel.Warning, "Ledger page {Page} could not fold its chunks into a segment; they stay readable and are folded later")]
    private static partial void LogFoldFailed(ILogger logger, Exception exception, string page);

    [LoggerMessage(37, LogLevel.Information, "Ledger page {Page} left folded chunk rows behind; they lie below its floor and are never read")]
    private static partial void LogDeleteFailed(ILogger logger, Exception exception, string page);

    [LoggerMessage(38, LogLevel.Warning, "Ledger page {Page} found its head moved by another activation; this one ends")]
    private static partial void LogHeadMoved(ILogger logger, string page);
}
