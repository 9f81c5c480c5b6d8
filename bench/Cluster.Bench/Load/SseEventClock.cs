namespace Cluster.Bench.Load;

/// <summary>
/// Follows an SSE byte stream across reads and timestamps each complete <c>data:</c> event,
/// so time to first token and the gaps between chunks are seen as the client sees them.
/// Events that end in the same read share a timestamp: batching by a proxy shows as 0 ms gaps.
/// </summary>
internal struct SseEventClock
{
    private static ReadOnlySpan<byte> DoneEvent => "data: [DONE]"u8;

    private bool _previousWasNewline;
    private bool _atEventStart;
    private bool _eventIsData;
    private int _eventLength;
    private bool _eventMatchesDone;
    private long _lastDataTimestamp;
    private double _gapSum;

    public SseEventClock()
    {
        _atEventStart = true;
        FirstDataTimestamp = -1;
    }

    public long FirstDataTimestamp { get; private set; }

    /// <summary>Data events other than <c>[DONE]</c>.</summary>
    public int DataEvents { get; private set; }

    public bool SawDone { get; private set; }

    /// <summary>Mean gap between consecutive data events (excluding <c>[DONE]</c>), in ticks.</summary>
    public readonly double MeanGapTicks => DataEvents > 1 ? _gapSum / (DataEvents - 1) : double.NaN;

    public void Feed(ReadOnlySpan<byte> bytes, long timestamp)
    {
        foreach (var b in bytes)
        {
            if (b == (byte)'\r')
            {
                continue;
            }

            if (b == (byte)'\n')
            {
                if (_previousWasNewline)
                {
                    EndEvent(timestamp);
                }

                _previousWasNewline = true;
                continue;
            }

            _previousWasNewline = false;
            if (_atEventStart)
            {
                _atEventStart = false;
                _eventIsData = b == (byte)'d';
                _eventLength = 0;
                _eventMatchesDone = true;
            }

            if (_eventMatchesDone)
            {
                _eventMatchesDone = _eventLength < DoneEvent.Length && DoneEvent[_eventLength] == b;
            }

            _eventLength++;
        }
    }

    private void EndEvent(long timestamp)
    {
        if (_atEventStart)
        {
            return;
        }

        _atEventStart = true;
        if (!_eventIsData)
        {
            return;
        }

        if (_eventMatchesDone && _eventLength == DoneEvent.Length)
        {
            SawDone = true;
            return;
        }

        if (FirstDataTimestamp < 0)
        {
            FirstDataTimestamp = timestamp;
        }
        else
        {
            _gapSum += timestamp - _lastDataTimestamp;
        }

        _lastDataTimestamp = timestamp;
        DataEvents++;
    }
}
