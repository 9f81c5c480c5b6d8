using System.IO.Hashing;

namespace Cluster.Bench.PrefixCache;

/// <summary>
/// One simulated backend's prefix (KV) cache, as vLLM keeps it: the prompt's tokens in blocks of
/// <see cref="BlockTokens"/>, each block named by the hash of everything up to its end, least
/// recently used blocks evicted (a prompt's tail before its prefix), and a single prefill engine:
/// prompts are prefilled one after another, each taking time in proportion to its uncached tokens.
/// Tokens are simulated as <see cref="BytesPerToken"/> bytes of the rendered prompt.
/// </summary>
internal sealed class SimulatedPrefixCache(int capacityTokens, double prefillMsPerToken, double prefillBaseMs)
{
    public const int BlockTokens = 16;
    public const int BytesPerToken = 4;
    private const int BlockBytes = BlockTokens * BytesPerToken;

    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, LinkedListNode<ulong>> _blocks = [];
    private readonly LinkedList<ulong> _recency = new();
    private readonly SemaphoreSlim _prefill = new(1, 1);
    private readonly int _capacityBlocks = Math.Max(1, capacityTokens / BlockTokens);
    private long _requests;
    private long _coldPrefills;
    private long _waitTicks;

    /// <summary>Requests admitted since the last <see cref="Clear"/>.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Prefills of at least <see cref="ColdTokens"/> uncached tokens since the last <see cref="Clear"/>: a shared prefix missed.</summary>
    public long ColdPrefills => Interlocked.Read(ref _coldPrefills);

    /// <summary>Total time prompts waited for the prefill engine since the last <see cref="Clear"/>.</summary>
    public TimeSpan PrefillWait => System.Diagnostics.Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _waitTicks));

    /// <summary>An uncached part this long means a shared prefix was missed (the workload's user turns are far shorter).</summary>
    public const int ColdTokens = 512;

    /// <summary>Looks the prompt up (its cached leading blocks) and caches all its full blocks.</summary>
    public (int PromptTokens, int CachedTokens) Admit(ReadOnlySpan<byte> rendered)
    {
        Interlocked.Increment(ref _requests);
        var promptTokens = Math.Max(1, rendered.Length / BytesPerToken);
        var count = rendered.Length / BlockBytes;
        Span<ulong> hashes = count <= 4096 ? stackalloc ulong[count] : new ulong[count];
        var previous = 0UL;
        for (var i = 0; i < count; i++)
        {
            previous = XxHash3.HashToUInt64(rendered.Slice(i * BlockBytes, BlockBytes), unchecked((long)previous));
            hashes[i] = previous;
        }

        lock (_lock)
        {
            var matched = 0;
            while (matched < count && _blocks.ContainsKey(hashes[matched]))
            {
                matched++;
            }

            for (var i = count - 1; i >= 0; i--)
            {
                if (_blocks.TryGetValue(hashes[i], out var node))
                {
                    _recency.Remove(node);
                    _recency.AddFirst(node);
                }
                else
                {
                    _blocks[hashes[i]] = _recency.AddFirst(hashes[i]);
                }
            }

            while (_blocks.Count > _capacityBlocks)
            {
                var last = _recency.Last!;
                _recency.RemoveLast();
                _blocks.Remove(last.Value);
            }

            return (promptTokens, Math.Min(matched * BlockTokens, promptTokens));
        }
    }

    /// <summary>Waits for the prefill engine, then for the prefill of the uncached tokens.</summary>
    public async Task PrefillAsync(int uncachedTokens, CancellationToken cancellationToken)
    {
        if (uncachedTokens >= ColdTokens)
        {
            Interlocked.Increment(ref _coldPrefills);
        }

        var queued = System.Diagnostics.Stopwatch.GetTimestamp();
        await _prefill.WaitAsync(cancellationToken);
        Interlocked.Add(ref _waitTicks, System.Diagnostics.Stopwatch.GetTimestamp() - queued);
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(prefillBaseMs + (uncachedTokens * prefillMsPerToken)), cancellationToken);
        }
        finally
        {
            _prefill.Release();
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _blocks.Clear();
            _recency.Clear();
            Interlocked.Exchange(ref _requests, 0);
            Interlocked.Exchange(ref _coldPrefills, 0);
            Interlocked.Exchange(ref _waitTicks, 0);
        }
    }
}
