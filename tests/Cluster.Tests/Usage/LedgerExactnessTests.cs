using System.Text.Json.Nodes;
using Cluster.Relay.Tokens;
using Cluster.Grains.Usage;
using Cluster.Tests.Support;

namespace Cluster.Tests.Usage;

/// <summary>
/// The ledger after a few hundred concurrent mixed requests over two front-ends and two silos
/// (see <see cref="LedgerExactnessFixture"/>): completed requests are billed exactly what the
/// upstream served, cut-short streams are billed for what was generated and marked so, every
/// request is recorded once, and the usage report adds up.
/// </summary>
public sealed class LedgerExactnessTests(LedgerExactnessFixture fixture) : IClassFixture<LedgerExactnessFixture>
{
    private static readonly TokenCounter Tokens = new();

    [Fact]
    public void Ledger_CompletedRequests_EqualWhatTheUpstreamServedExactly()
    {
        var completed = fixture.Sent.Where(r => !r.Cancelled).Select(r => r.RequestId).ToHashSet();
        var records = fixture.Ledger.Where(r => completed.Contains(r.RequestId)).ToList();

        Assert.Equal(completed.Count, records.Count);
        Assert.All(records, r =>
        {
            Assert.Equal("ok", r.Status);
            Assert.False(r.Estimated);
        });
        Assert.Equal(fixture.Upstream.CompletedCount, records.Count);
        Assert.Equal(fixture.Upstream.ServedPromptTokens, records.Sum(r => (long)r.PromptTokens));
        Assert.Equal(fixture.Upstream.ServedCompletionTokens, records.Sum(r => (long)r.CompletionTokens));

        // Request by request: what the upstream reports for each kind, streamed or not.
        var sent = fixture.Sent.ToDictionary(r => r.RequestId);
        foreach (var record in records)
        {
            var embedding = sent[record.RequestId].Endpoint == "embeddings";
            Assert.Equal(sent[record.RequestId].Endpoint, record.Endpoint);
            Assert.Equal(FakeUpstream.PromptTokens, record.PromptTokens);
            Assert.Equal(embedding ? 0 : LedgerExactnessFixture.Chunks * FakeUpstream.CompletionTokensPerChunk, record.CompletionTokens);
            Assert.Equal(record.PromptTokens + record.CompletionTokens, record.TotalTokens);
            Assert.Equal(embedding ? LedgerExactnessFixture.EmbeddingModel : LedgerExactnessFixture.ChatModel, record.Model);
        }
    }

    [Fact]
    public void Ledger_StreamsTheClientHungUpOn_RecordedAsCancelledWithAtLeastWhatTheClientReceived()
    {
        var cancelled = fixture.Sent.Where(r => r.Cancelled).ToList();
        Assert.Equal(LedgerExactnessFixture.Requests / 6, cancelled.Count);
        Assert.Equal(cancelled.Count, fixture.Upstream.ClosedEarlyCount);

        var records = fixture.Ledger.ToDictionary(r => r.RequestId);
        var everything = string.Concat(Enumerable.Range(0, LedgerExactnessFixture.Chunks).Select(i => $"{fixture.Upstream.Name} part{i} "));
        foreach (var request in cancelled)
        {
            Assert.True(records.TryGetValue(request.RequestId, out var record), $"cancelled request {request.RequestId} is not in the ledger");
            Assert.Equal("cancelled", record.Status);
            Assert.True(record.Estimated);
            Assert.Equal(request.Endpoint, record.Endpoint);

            // Counted with the tokenizer from the text generated: at least what reached the client,
            // at most everything the upstream would have sent.
            Assert.InRange(record.CompletionTokens, Tokens.Count(request.ReceivedText), Tokens.Count(everything));
            Assert.True(record.PromptTokens > 0);
            Assert.Equal(record.PromptTokens + record.CompletionTokens, record.TotalTokens);
            Assert.True(record.CostUsd > 0);
        }
    }

    [Fact]
    public void Ledger_EveryRequestThatReachedTheUpstream_RecordedExactlyOnce()
    {
        var ids = fixture.Ledger.Select(r => r.RequestId).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(fixture.Sent.Select(r => r.RequestId).Order(), ids.Order());
        Assert.Equal(fixture.Upstream.RequestCount, ids.Count);
        Assert.All(fixture.Ledger, r => Assert.Equal(LedgerExactnessFixture.Tenant, r.Tenant));
    }

    [Theory]
    [InlineData("model")]
    [InlineData("day")]
    [InlineData("key")]
    [InlineData("hour")]
    public async Task AdminUsage_AnyGrouping_TotalsEqualTheRowsAndTheLedger(string groupBy)
    {
        var report = await fixture.Admin.UsageAsync(LedgerExactnessFixture.Tenant, "group_by=" + groupBy);

        var totals = report["totals"]!;
        var rows = report["data"]!.AsArray();
        foreach (var field in new[] { "requests", "prompt_tokens", "completion_tokens", "total_tokens" })
        {
            Assert.Equal(totals[field]!.GetValue<long>(), rows.Sum(row => row![field]!.GetValue<long>()));
        }

        Assert.Equal(totals["cost_usd"]!.GetValue<decimal>(), rows.Sum(row => row!["cost_usd"]!.GetValue<decimal>()));
        Assert.Equal(fixture.Ledger.Length, totals["requests"]!.GetValue<long>());
        Assert.Equal(fixture.Ledger.Sum(r => (long)r.PromptTokens), totals["prompt_tokens"]!.GetValue<long>());
        Assert.Equal(fixture.Ledger.Sum(r => (long)r.CompletionTokens), totals["completion_tokens"]!.GetValue<long>());
        Assert.Equal(fixture.Ledger.Sum(r => (long)r.TotalTokens), totals["total_tokens"]!.GetValue<long>());
        Assert.Equal(fixture.Ledger.Sum(r => r.CostUsd), totals["cost_usd"]!.GetValue<decimal>());
        Assert.All(rows, row => Assert.False(string.IsNullOrEmpty(row![groupBy]!.GetValue<string>())));
        if (groupBy == "key")
        {
            Assert.Equal(2, rows.Count);
        }

        if (groupBy == "model")
        {
            Assert.Equal(
                [LedgerExactnessFixture.ChatModel, LedgerExactnessFixture.EmbeddingModel],
                rows.Select(row => row!["model"]!.GetValue<string>()).Order().ToArray());
        }
    }

    [Fact]
    public async Task Usage_CallersOwnTenant_SameTotalsAsTheAdminSees()
    {
        var own = await fixture.Client.SendAsync(HttpMethod.Get, fixture.FrontEnds[0].BaseUrl + "/usage?group_by=day", LedgerExactnessFixture.Keys[1]);
        var admin = await fixture.Admin.UsageAsync(LedgerExactnessFixture.Tenant, "group_by=day");

        Assert.Equal(admin["totals"]!.ToJsonString(), own.Json["totals"]!.ToJsonString());
        Assert.Equal(LedgerExactnessFixture.Requests, own.Json["totals"]!["requests"]!.GetValue<long>());
        Assert.True(JsonNode.DeepEquals(admin["data"], own.Json["data"]));
    }
}
