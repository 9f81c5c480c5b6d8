using Cluster.Relay.Requests;
using System.Text;
using Cluster.Relay.Routing.Prefix;

namespace Cluster.Tests.Routing.Prefix;

/// <summary>One deployment's estimated prefix cache: LRU of blocks, corrected by the backend's cached_tokens.</summary>
public sealed class PrefixCacheEstimateTests
{
    [Fact]
    public void Record_ThenMatched_LeadingBlocksOfASharedPrefix()
    {
        var cache = new PrefixCacheEstimate(100_000);
        var first = Prompt("tenant-a", "question one", 2000);
        var second = Prompt("tenant-a", "question two", 2000);

        Assert.Equal(0, cache.Record(first));

        var shared = Enumerable.Range(0, first.Count).TakeWhile(i => i < second.Count && first.Hashes[i] == second.Hashes[i]).Count();
        Assert.True(shared >= 7, $"only {shared} shared blocks");
        Assert.Equal(shared, cache.Matched(second));
        Assert.Equal(0, cache.Matched(Prompt("tenant-b", "question one", 2000)));
    }

    [Fact]
    public void Record_BeyondCapacity_EvictsLeastRecentlyUsedTailFirst()
    {
        // 64 tokens per block until corrected: 640 tokens hold 10 blocks.
        var cache = new PrefixCacheEstimate(640);
        var old = Prompt("old", "", 6 * 256);
        var used = Prompt("used", "", 4 * 256);
        var fresh = Prompt("fresh", "", 4 * 256);

        cache.Record(old);
        cache.Record(used);
        cache.Record(used);
        cache.Record(fresh);

        Assert.Equal(10, cache.CapacityBlocks);
        Assert.Equal(10, cache.Count);
        Assert.Equal(4, cache.Matched(used));
        Assert.Equal(4, cache.Matched(fresh));

        // The least recently used prompt lost its tail first: its first two blocks are still there.
        Assert.Equal(2, cache.Matched(old));
    }

    [Fact]
    public void Correct_BackendHadEvictedWhatWasBelievedCached_CapacityShrinks()
    {
        var cache = new PrefixCacheEstimate(64_000);
        var prompt = Prompt("tenant", "", 40 * 256);
        cache.Record(prompt);
        var before = cache.CapacityBlocks;

        // Believed: 40 blocks cached; the backend says none were (4 bytes a token: 2,560 prompt tokens).
        var predicted = cache.Record(prompt);
        cache.Correct(prompt, predicted, promptTokens: 2560, cachedTokens: 0);

        Assert.Equal(40, predicted);
        Assert.True(cache.CapacityBlocks < before, $"capacity {cache.CapacityBlocks} not below {before}");
    }

    [Fact]
    public void Correct_BackendConfirmsTheEstimate_CapacityKept()
    {
        var cache = new PrefixCacheEstimate(64_000);
        var prompt = Prompt("tenant", "", 40 * 256);
        cache.Record(prompt);
        var before = cache.CapacityBlocks;

        var predicted = cache.Record(prompt);
        cache.Correct(prompt, predicted, promptTokens: 2560, cachedTokens: 2560);

        Assert.Equal(before, cache.CapacityBlocks);
    }

    [Fact]
    public void Correct_FewerTokensPerBlockThanAssumed_MoreBlocksFit()
    {
        var cache = new PrefixCacheEstimate(64_000);
        var prompt = Prompt("tenant", "", 40 * 256);
        var before = cache.CapacityBlocks;

        // 2 tokens per 4 bytes reported, again and again: half the assumed tokens per block.
        for (var i = 0; i < 50; i++)
        {
            var predicted = cache.Record(prompt);
            cache.Correct(prompt, predicted, promptTokens: 1280, cachedTokens: predicted == 0 ? 0 : 1280);
        }

        Assert.True(cache.CapacityBlocks > before * 3 / 2, $"capacity {cache.CapacityBlocks} vs {before}");
    }

    /// <summary>A chat-like prompt: a tenant's system prompt of <paramref name="systemBytes"/> bytes, then a user message.</summary>
    internal static PromptBlocks Prompt(string tenant, string user, int systemBytes)
    {
        var system = new StringBuilder();
        while (system.Length < systemBytes)
        {
            system.Append(tenant).Append(" policy ").Append(system.Length).Append(". ");
        }

        return PromptBlocks.Of(Encoding.UTF8.GetBytes(system.ToString(0, systemBytes) + user));
    }
}
