using Cluster.Grains.Usage;
using Cluster.Tests.Support;

namespace Cluster.Tests.Usage;

/// <summary>
/// A ledger page's hourly rollup and its listing of recent records, on a two-silo cluster: the
/// buckets always add up to exactly the page's records (across segments, after a deactivation,
/// for records recorded twice), and a listing is the newest matching records in order.
/// </summary>
[Collection(FakeTimeClusterFixture.Name)]
public sealed class UsageRollupTests(FakeTimeClusterFixture fixture)
{
    private static readonly DateTimeOffset Day = new(2031, 4, 2, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task GetRollupAsync_ManySegmentsAndAReactivation_EqualsTheSumOfTheRecordsPerHourModelAndKey()
    {
        var key = NewPageKey();
        var page = fixture.Cluster.Client.GetGrain<IUsageLedgerGrain>(key);
        var records = Enumerable.Range(0, (UsageLedgerGrain.SegmentSize * 3) + 7).Select(Varied).ToArray();

        // Concurrently, so writes are group-committed and cross segment boundaries; each twice.
        await Task.WhenAll(records.Concat(records).Select(r => Task.Run(() => page.RecordAsync(r))));
        AssertRollupEquals(await page.GetRecordsAsync(), await page.GetRollupAsync());
        Assert.Equal(records.Length, (await page.GetRollupAsync()).Sum(b => b.Totals.Requests));

        await fixture.Cluster.DeactivateAsync(page.GetGrainId());
        var afterReactivation = await page.GetRollupAsync();
        AssertRollupEquals(records, afterReactivation);

        // And it keeps counting from there.
        var more = Enumerable.Range(records.Length, UsageLedgerGrain.SegmentSize).Select(Varied).ToArray();
        foreach (var record in more)
        {
            await page.RecordAsync(record);
        }

        AssertRollupEquals([.. records, .. more], await page.GetRollupAsync());
    }

    [Fact]
    public async Task GetRecentAsync_FilterAndCursor_NewestMatchingRecordsInOrderWithoutGaps()
    {
        var page = fixture.Cluster.Client.GetGrain<IUsageLedgerGrain>(NewPageKey());
        var records = Enumerable.Range(0, (UsageLedgerGrain.SegmentSize * 4) + 3).Select(Varied).ToArray();
        foreach (var record in records)
        {
            await page.RecordAsync(record);
        }

        await fixture.Cluster.DeactivateAsync(page.GetGrainId());
        var expected = records.Where(r => r.Model == "model-b").ToList();
        expected.Sort(UsageRecordFilter.CompareNewestFirst);

        var listed = new List<UsageRecord>();
        var filter = new UsageRecordFilter(Limit: 10, Model: "model-b");
        while (true)
        {
            var batch = await page.GetRecentAsync(filter);
            listed.AddRange(batch);
            if (batch.Length < filter.Limit)
            {
                break;
            }

            filter = filter with { BeforeMs = batch[^1].TimestampMs, BeforeRequestId = batch[^1].RequestId };
        }

        Assert.Equal(expected.Select(r => r.RequestId), listed.Select(r => r.RequestId));
    }

    private static void AssertRollupEquals(IEnumerable<UsageRecord> records, UsageBucket[] buckets)
    {
        var expected = records
            .GroupBy(r => (UsageBucket.HourOf(r.TimestampMs), r.Model, r.KeyId))
            .ToDictionary(g => g.Key, g => g.Select(UsageTotals.Of).Aggregate(UsageTotals.Zero, (a, b) => a.Add(b)));
        var actual = buckets.ToDictionary(b => (b.HourMs, b.Model, b.KeyId), b => b.Totals);
        Assert.Equal(expected.Count, actual.Count);
        foreach (var (bucket, totals) in expected)
        {
            Assert.Equal(totals, actual[bucket]);
        }
    }

    private static string NewPageKey() => UsageLedger.KeyOf("rollup-test-" + Guid.NewGuid().ToString("N")[..12], DateOnly.FromDateTime(Day.UtcDateTime), 0);

    /// <summary>Record <paramref name="i"/>: spread over hours, two models and three keys (one of them none), timestamps not in arrival order.</summary>
    private static UsageRecord Varied(int i) => new(
        RequestId: $"req-{i:D5}",
        Tenant: "rollup-test",
        KeyId: (i % 3) switch { 0 => "key_a", 1 => "key_b", _ => null },
        Model: i % 2 == 0 ? "model-a" : "model-b",
        DeploymentId: "deployment",
        SessionId: null,
        TimestampMs: Day.AddMinutes((i * 37) % 1440).AddMilliseconds(i).ToUnixTimeMilliseconds(),
        Endpoint: "chat.completions",
        PromptTokens: 10 + i,
        CompletionTokens: i % 7,
        TotalTokens: 10 + i + (i % 7),
        CachedTokens: null,
        ReasoningTokens: null,
        Estimated: false,
        Status: "ok",
        LatencyMs: 5,
        CostUsd: 0.000001m * i);
}
