using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Cluster.Api;
using Cluster.Grains.Usage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Bench.Usage;

/// <summary>
/// The cost of <c>/usage</c> at scale. One process: the gateway with a co-hosted silo on in-memory
/// storage. Records go in through the ledger's own path (<see cref="IUsageLedgerGrain.RecordAsync"/>,
/// group-committed, rollups kept by the same writes), spread over the days, models and keys; then
/// <c>GET /usage</c> for the whole range is timed over real HTTP for each grouping, and, for
/// contrast, reading every record of the range (what a query without rollups must do).
/// </summary>
internal sealed class UsageBench(UsageBenchSettings settings)
{
    /// <summary>The tenant an Open-mode gateway gives a caller without a key, so <c>/usage</c> answers for it.</summary>
    private const string Tenant = "default";

    public async Task<int> RunAsync()
    {
        var port = FreePorts.Next();
        string[] args =
        [
            "--urls", $"http://127.0.0.1:{port}",
            "--Cluster:SiloPort", FreePorts.Next().ToString(CultureInfo.InvariantCulture),
            "--Cluster:GatewayPort", FreePorts.Next().ToString(CultureInfo.InvariantCulture),
            "--Cluster:ClusterId", "usage-bench-" + Guid.NewGuid().ToString("N")[..8],
            "--Logging:LogLevel:Default", "Warning",
        ];
        args = [.. args, "--Cluster:PrimarySiloPort", args[3]];
        await using var app = GatewayApp.Build(args);
        await app.StartAsync();
        try
        {
            return await MeasureAsync(app, $"http://127.0.0.1:{port}");
        }
        finally
        {
            await app.StopAsync();
        }
    }

    private async Task<int> MeasureAsync(WebApplication app, string baseUrl)
    {
        var grains = app.Services.GetRequiredService<IGrainFactory>();
        var shards = UsageLedger.DefaultShards;
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var from = today.AddDays(-(settings.Days - 1));
        var startMs = new DateTimeOffset(from.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeMilliseconds();
        var spanMs = (long)settings.Days * 86_400_000;
        Console.WriteLine($"Writing {settings.Records:N0} records over {settings.Days} days, {settings.Models} models × {settings.Keys} keys, {settings.Concurrency} in flight…");

        var loadAtStart = LoadAverage();

        // 1. Write through the ledger, as the gateway does after every request.
        var expected = UsageTotals.Zero;
        var write = Stopwatch.StartNew();
        var next = -1;
        var progress = 0;
        var writers = Enumerable.Range(0, settings.Concurrency).Select(_ => Task.Run(async () =>
        {
            var sum = UsageTotals.Zero;
            int i;
            while ((i = Interlocked.Increment(ref next)) < settings.Records)
            {
                var record = Record(i, startMs + (long)((double)i / settings.Records * spanMs));
                await grains.GetGrain<IUsageLedgerGrain>(UsageLedger.KeyOf(record, shards)).RecordAsync(record);
                sum = sum.Add(UsageTotals.Of(record));
                if (Interlocked.Increment(ref progress) % 100_000 == 0)
                {
                    Console.WriteLine($"  {progress:N0} written ({write.Elapsed.TotalSeconds:F0} s)");
                }
            }

            return sum;
        })).ToArray();
        foreach (var sum in await Task.WhenAll(writers))
        {
            expected = expected.Add(sum);
        }

        write.Stop();

        // 2. /usage over HTTP for the whole range, each grouping: a warm-up call, then timed runs.
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromMinutes(5) };
        var range = $"from={from:yyyy-MM-dd}&to={today:yyyy-MM-dd}";
        var rows = new List<(string Grouping, int Rows, double P50, double Max)>();
        foreach (var groupBy in new[] { "model", "day", "key", "hour" })
        {
            var url = $"{baseUrl}/v1/usage?{range}&group_by={groupBy}";
            var report = await GetJsonAsync(http, url);
            Check(report, expected, groupBy);
            var times = new List<double>();
            for (var run = 0; run < settings.Runs; run++)
            {
                var clock = Stopwatch.StartNew();
                using var response = await http.GetAsync(url);
                await response.Content.ReadAsByteArrayAsync();
                times.Add(clock.Elapsed.TotalMilliseconds);
            }

            times.Sort();
            rows.Add((groupBy, report["data"]!.AsArray().Count, times[times.Count / 2], times[^1]));
        }

        // 3. For contrast: reading every record of the range, once (no rollups).
        var scan = Stopwatch.StartNew();
        long scanned = 0;
        for (var day = from; day <= today; day = day.AddDays(1))
        {
            var pages = await Task.WhenAll(Enumerable.Range(0, shards).Select(s => grains.GetGrain<IUsageLedgerGrain>(UsageLedger.KeyOf(Tenant, day, s)).GetRecordsAsync()));
            scanned += pages.Sum(p => (long)p.Length);
        }

        scan.Stop();
        if (scanned != settings.Records)
        {
            throw new InvalidOperationException($"The ledger holds {scanned} records, not {settings.Records}.");
        }

        var table = Table(write.Elapsed, rows, scan.Elapsed, settings.Days * shards, loadAtStart, LoadAverage());
        Console.WriteLine();
        Console.WriteLine(table);
        if (settings.Out is { } path)
        {
            await File.WriteAllTextAsync(path, table);
            Console.WriteLine($"(written to {path})");
        }

        return 0;
    }

    private string Table(TimeSpan write, List<(string Grouping, int Rows, double P50, double Max)> rows, TimeSpan scan, int pages, string loadAtStart, string loadAtEnd)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"# /usage at scale ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, in-memory storage)");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"{settings.Records:N0} records of one tenant over {settings.Days} days ({pages} ledger pages), {settings.Models} models × {settings.Keys} keys, written through `IUsageLedgerGrain.RecordAsync` in {write.TotalSeconds:F1} s ({settings.Records / write.TotalSeconds:N0} records/s, {settings.Concurrency} in flight).");
        text.AppendLine();
        text.AppendLine("| query (whole range, over HTTP) | rows | p50 | max |");
        text.AppendLine("|---|---:|---:|---:|");
        foreach (var (grouping, count, p50, max) in rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| `GET /usage?group_by={grouping}` | {count:N0} | {p50:F1} ms | {max:F1} ms |");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"| every record of the range read (no rollups), once | – | {scan.TotalMilliseconds:F0} ms | |");
        text.AppendLine();
        text.AppendLine($"{settings.Runs} timed calls per row after one warm-up call; totals checked equal to the records written.");
        text.AppendLine();
        text.AppendLine($"Load average (1 min) at start {loadAtStart}, at end {loadAtEnd}: above the core count, other work was running and every figure is an upper bound.");
        return text.ToString();
    }

    private UsageRecord Record(int i, long timestampMs) => new(
        RequestId: "bench-" + i.ToString("D8", CultureInfo.InvariantCulture),
        Tenant: Tenant,
        KeyId: "key_" + (i % settings.Keys).ToString(CultureInfo.InvariantCulture),
        Model: "model-" + (i % settings.Models).ToString(CultureInfo.InvariantCulture),
        DeploymentId: "deployment",
        SessionId: null,
        TimestampMs: timestampMs,
        Endpoint: "chat.completions",
        PromptTokens: 20 + (i % 100),
        CompletionTokens: 10 + (i % 50),
        TotalTokens: 30 + (i % 100) + (i % 50),
        CachedTokens: null,
        ReasoningTokens: null,
        Estimated: false,
        Status: "ok",
        LatencyMs: 100,
        CostUsd: 0.0000001m * (i % 1000));

    private static async Task<JsonNode> GetJsonAsync(HttpClient http, string url)
    {
        using var response = await http.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        return response.StatusCode == HttpStatusCode.OK
            ? JsonNode.Parse(body)!
            : throw new InvalidOperationException($"GET {url} answered {(int)response.StatusCode}: {body}");
    }

    private static void Check(JsonNode report, UsageTotals expected, string groupBy)
    {
        var totals = report["totals"]!;
        if (totals["requests"]!.GetValue<long>() != expected.Requests
            || totals["total_tokens"]!.GetValue<long>() != expected.TotalTokens
            || totals["cost_usd"]!.GetValue<decimal>() != expected.CostUsd)
        {
            throw new InvalidOperationException($"/usage?group_by={groupBy} totals {totals.ToJsonString()} differ from what was written ({expected}).");
        }

        var rows = report["data"]!.AsArray();
        if (rows.Sum(r => r!["requests"]!.GetValue<long>()) != expected.Requests)
        {
            throw new InvalidOperationException($"/usage?group_by={groupBy} rows do not add up to the totals.");
        }
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";
}
