namespace Cluster.Relay.Routing.Prefix;

/// <summary>
/// What this front-end believes one deployment's prefix cache holds: the blocks of the prompts it
/// routed there, least recently used evicted first, as many as <c>CacheTokens</c> holds. Two
/// corrections come from the backend's own report of <c>usage.prompt_tokens_details.cached_tokens</c>:
/// tokens per block are learned from <c>prompt_tokens</c>, and the share of the cache this estimate
/// may count on shrinks when the backend had evicted what was believed cached (other front-ends and
/// other models fill the same cache), and grows back when the estimate proves right.
/// </summary>
internal sealed class PrefixCacheEstimate
{
    /// <summary>Assumed when a deployment does not say its <c>CacheTokens</c>.</summary>
    public const int DefaultCacheTokens = 32_768;

    private const double MinShare = 0.05;
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, LinkedListNode<ulong>> _blocks = [];
    private readonly LinkedList<ulong> _recency = new();
    private readonly int _cacheTokens;
    private double _tokensPerBlock = PromptBlocks.BlockBytes / 4.0;
    private double _share = 1.0;

    public PrefixCacheEstimate(int? cacheTokens)
    {
        _cacheTokens = cacheTokens ?? DefaultCacheTokens;
    }

    /// <summary>How many blocks the estimate may hold now.</summary>
    public int CapacityBlocks
    {
        get
        {
            lock (_lock)
            {
                return Capacity();
            }
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _blocks.Count;
            }
        }
    }

    /// <summary>The leading blocks of <paramref name="prompt"/> believed cached (the chain makes any later match meaningless after a miss).</summary>
    public int Matched(PromptBlocks prompt)
    {
        lock (_lock)
        {
            return MatchedLocked(prompt);
        }
    }

    /// <summary>The prompt was sent here: all its blocks are now the most recently used. Returns how many were believed cached before.</summary>
    public int Record(PromptBlocks prompt)
    {
        lock (_lock)
        {
            var matched = MatchedLocked(prompt);

            // Last block first, so the first is the most recently used: like vLLM, the tail of a
            // prompt is evicted before its prefix, which other prompts may share.
            var hashes = prompt.Hashes;
            for (var i = hashes.Length - 1; i >= 0; i--)
            {
                var hash = hashes[i];
                if (_blocks.TryGetValue(hash, out var node))
                {
                    _recency.Remove(node);
                    _recency.AddFirst(node);
                }
                else
                {
                    _blocks[hash] = _recency.AddFirst(hash);
                }
            }

            Trim();
            return matched;
        }
    }

    /// <summary>
    /// The backend served the prompt and said how much of it it had cached. <paramref name="predicted"/>
    /// is what <see cref="Record"/> returned for it.
    /// </summary>
    public void Correct(PromptBlocks prompt, int predicted, int promptTokens, int cachedTokens)
    {
        lock (_lock)
        {
            var tokensPerBlock = _tokensPerBlock;
            if (promptTokens > 0 && prompt.ByteLength >= PromptBlocks.BlockBytes)
            {
                // The JSON framing counts bytes but no tokens, the chat template tokens but no
                // bytes: close enough for sizing, and learned per backend.
                tokensPerBlock = Math.Clamp(promptTokens * (double)PromptBlocks.BlockBytes / prompt.ByteLength, 1, PromptBlocks.BlockBytes);
                _tokensPerBlock = (0.9 * _tokensPerBlock) + (0.1 * tokensPerBlock);
            }

            var cachedBlocks = (int)(cachedTokens / tokensPerBlock);
            if (predicted > 1 && cachedBlocks < (predicted * 3 / 4) - 1)
            {
                // Believed cached, but evicted: this front-end can count on less of the cache.
                _share = Math.Max(MinShare, _share * 0.9);
                Trim();
            }
            else if (predicted > 0 && cachedBlocks >= predicted - 1)
            {
                _share = Math.Min(1.0, _share * 1.02);
            }
        }
    }

    private int MatchedLocked(PromptBlocks prompt)
    {
        var hashes = prompt.Hashes;
        var matched = 0;
        while (matched < hashes.Length && _blocks.ContainsKey(hashes[matched]))
        {
            matched++;
        }

        return matched;
    }

    private int Capacity() => Math.Max(1, (int)(_cacheTokens * _share / _tokensPerBlock));

    private void Trim()
    {
        var capacity = Capacity();
        while (_blocks.Count > capacity)
        {
            var last = _recency.Last!;
            _recency.RemoveLast();
            _blocks.Remove(last.Value);
        }
    }
}
