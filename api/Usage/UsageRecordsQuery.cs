using System.Globalization;
using Cluster.Grains.Errors;
using Cluster.Grains.Usage;

namespace Cluster.Api.Usage;

/// <summary>
/// The recent requests of a tenant's ledger, newest first, with filters and a cursor: days are read
/// newest first, each day's pages in parallel, each page reading only the segments that can hold
/// the next records; it stops at the first day that fills the page of results.
/// </summary>
internal sealed class UsageRecordsQuery(IGrainFactory grains, UsageQuery usage)
{
    public const int DefaultLimit = 50;

    public async Task<object> RunAsync(string tenant, HttpRequest request)
    {
        var range = UsageRange.Read(request, usage.Time);
        var limit = Limit(request);
        var (beforeMs, beforeId) = Cursor(request);
        var filter = new UsageRecordFilter(
            limit + 1,
            beforeMs,
            beforeId,
            Text(request, "model"),
            UsageQuery.KeyFilter(request),
            Text(request, "deployment"),
            Text(request, "session"),
            Text(request, "status"));

        var found = new List<UsageRecord>();
        foreach (var day in range.Days().Reverse())
        {
            if (beforeMs is { } before && day > DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(before).UtcDateTime))
            {
                continue;
            }

            var pages = Enumerable.Range(0, usage.Shards)
                .Select(shard => grains.GetGrain<IUsageLedgerGrain>(UsageLedger.KeyOf(tenant, day, shard)).GetRecentAsync(filter));
            foreach (var page in await Task.WhenAll(pages))
            {
                found.AddRange(page);
            }

            if (found.Count > limit)
            {
                break;
            }
        }

        found.Sort(UsageRecordFilter.CompareNewestFirst);
        var hasMore = found.Count > limit;
        var data = found.Take(limit).ToList();
        return new
        {
            @object = "list",
            tenant,
            from = range.From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            to = range.To.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            data = data.Select(Describe),
            has_more = hasMore,
            next_before = hasMore ? CursorOf(data[^1]) : null,
        };
    }

    public static string CursorOf(UsageRecord record) => string.Create(CultureInfo.InvariantCulture, $"{record.TimestampMs}.{record.RequestId}");

    private static object Describe(UsageRecord r) => new
    {
        id = r.RequestId,
        @object = "usage.record",
        timestamp_ms = r.TimestampMs,
        time = DateTimeOffset.FromUnixTimeMilliseconds(r.TimestampMs).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
        key = r.KeyId,
        model = r.Model,
        deployment = r.DeploymentId,
        session = r.SessionId,
        endpoint = r.Endpoint,
        prompt_tokens = r.PromptTokens,
        completion_tokens = r.CompletionTokens,
        total_tokens = r.TotalTokens,
        cached_tokens = r.CachedTokens,
        reasoning_tokens = r.ReasoningTokens,
        estimated = r.Estimated,
        status = r.Status,
        latency_ms = r.LatencyMs,
        cost_usd = r.CostUsd,
        response_id = r.ResponseId,
        conversation_id = r.ConversationId,
    };

    private static int Limit(HttpRequest request)
    {
        var text = request.Query["limit"].ToString();
        if (text.Length == 0)
        {
            return DefaultLimit;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit is >= 1 and < UsageLedgerLimits.MaxListing
            ? limit
            : throw GatewayException.BadRequest($"'limit' must be a whole number from 1 to {UsageLedgerLimits.MaxListing - 1}.", "limit");
    }

    private static (long? Ms, string? Id) Cursor(HttpRequest request)
    {
        var text = request.Query["before"].ToString();
        if (text.Length == 0)
        {
            return (null, null);
        }

        var dot = text.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && long.TryParse(text.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && dot < text.Length - 1
            ? (ms, text[(dot + 1)..])
            : throw GatewayException.BadRequest("'before' must be a cursor from 'next_before'.", "before");
    }

    private static string? Text(HttpRequest request, string name)
    {
        var text = request.Query[name].ToString();
        return text.Length == 0 ? null : text;
    }
}
