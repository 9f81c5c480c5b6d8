using System.Collections.Concurrent;

namespace Cluster.Relay.Cluster;

/// <summary>
/// Sends calls to one grain at a time per key, and merges the calls that arrive while one is in
/// flight into the next: a lone call goes out at once (no added latency), and under load a grain
/// receives one message per round trip instead of one per request. Each caller gets its own item's
/// result; if the batch's call fails, every caller in it sees the failure.
/// </summary>
internal sealed class CallBatcher<TItem, TResult>(Func<string, TItem[], Task<TResult[]>> send)
{
    private readonly ConcurrentDictionary<string, Lane> _lanes = new(StringComparer.Ordinal);

    public Task<TResult> SendAsync(string key, TItem item)
    {
        var lane = _lanes.GetOrAdd(key, static _ => new Lane());
        var waiting = new Waiting(item);
        bool start;
        lock (lane)
        {
            lane.Queue.Add(waiting);
            start = !lane.Sending;
            lane.Sending = true;
        }

        if (start)
        {
            _ = PumpAsync(key, lane);
        }

        return waiting.Result.Task;
    }

    /// <summary>Sends what is queued, one call at a time, until the queue is empty.</summary>
    private async Task PumpAsync(string key, Lane lane)
    {
        while (true)
        {
            List<Waiting> batch;
            lock (lane)
            {
                if (lane.Queue.Count == 0)
                {
                    lane.Sending = false;
                    return;
                }

                batch = lane.Queue;
                lane.Queue = [];
            }

            var items = new TItem[batch.Count];
            for (var i = 0; i < items.Length; i++)
            {
                items[i] = batch[i].Item;
            }

            try
            {
                var results = await send(key, items).ConfigureAwait(false);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Result.TrySetResult(results[i]);
                }
            }
            catch (Exception ex)
            {
                foreach (var waiting in batch)
                {
                    waiting.Result.TrySetException(ex);
                }
            }
        }
    }

    private sealed class Lane
    {
        public List<Waiting> Queue { get; set; } = [];

        public bool Sending { get; set; }
    }

    private sealed class Waiting(TItem item)
    {
        public TItem Item { get; } = item;

        public TaskCompletionSource<TResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
