using Cluster.Relay.Cluster;

namespace Cluster.Tests.Relay;

[Trait("Category", "Unit")]
public sealed class CallBatcherTests
{
    [Fact]
    public async Task SendAsync_LoneCall_SentAtOnceAlone()
    {
        var calls = new List<(string Key, int[] Items)>();
        var batcher = new CallBatcher<int, int>((key, items) =>
        {
            calls.Add((key, items));
            return Task.FromResult(items.Select(i => i * 10).ToArray());
        });

        Assert.Equal(70, await batcher.SendAsync("a", 7));
        var (key, items) = Assert.Single(calls);
        Assert.Equal("a", key);
        Assert.Equal(new[] { 7 }, items);
    }

    [Fact]
    public async Task SendAsync_CallsArriveWhileOneIsInFlight_GoTogetherInTheNextAndEachGetsItsOwnResult()
    {
        var sent = new List<int[]>();
        var first = new TaskCompletionSource<int[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var batcher = new CallBatcher<int, int>((_, items) =>
        {
            lock (sent)
            {
                sent.Add(items);
            }

            return sent.Count == 1 ? first.Task : Task.FromResult(items.Select(i => -i).ToArray());
        });

        var inFlight = batcher.SendAsync("k", 1);
        var queued = new[] { batcher.SendAsync("k", 2), batcher.SendAsync("k", 3), batcher.SendAsync("k", 4) };
        Assert.Single(sent);
        Assert.All(queued, q => Assert.False(q.IsCompleted));

        first.SetResult([100]);
        Assert.Equal(100, await inFlight);
        var results = await Task.WhenAll(queued);
        Assert.Equal(new[] { -2, -3, -4 }, results);
        Assert.Equal(new[] { new[] { 1 }, new[] { 2, 3, 4 } }, sent);
    }

    [Fact]
    public async Task SendAsync_BatchFails_EveryCallerInItSeesTheFailureAndTheNextBatchIsSent()
    {
        var gate = new TaskCompletionSource<int[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = 0;
        var batcher = new CallBatcher<int, int>((_, items) => Interlocked.Increment(ref calls) switch
        {
            1 => gate.Task,
            2 => Task.FromException<int[]>(new TimeoutException("lost")),
            _ => Task.FromResult(items),
        });

        var first = batcher.SendAsync("k", 1);
        var failing = new[] { batcher.SendAsync("k", 2), batcher.SendAsync("k", 3) };
        gate.SetResult([1]);
        await first;
        foreach (var call in failing)
        {
            await Assert.ThrowsAsync<TimeoutException>(() => call);
        }

        Assert.Equal(4, await batcher.SendAsync("k", 4));
    }

    [Fact]
    public async Task SendAsync_DifferentKeys_DoNotWaitForEachOther()
    {
        var blocked = new TaskCompletionSource<int[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var batcher = new CallBatcher<int, int>((key, items) => key == "slow" ? blocked.Task : Task.FromResult(items));

        var slow = batcher.SendAsync("slow", 1);
        Assert.Equal(2, await batcher.SendAsync("fast", 2));
        Assert.False(slow.IsCompleted);
        blocked.SetResult([1]);
        Assert.Equal(1, await slow);
    }
}
