using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Cluster.Bench.Cli;
using Cluster.Bench.Gateway;
using Cluster.Bench.Load;
using Cluster.Bench.Processes;
using Cluster.Bench.Reporting;

namespace Cluster.Bench.PrefixCache;

/// <summary>
/// <c>Cluster.Bench prefix</c>: prefix-cache hit rate and time to first token of the same
/// multi-tenant, multi-turn workload under each placement, side by side in one run, against
/// backends that simulate a prefix cache (<see cref="PrefixCacheBackends"/>). The tenants' system
/// prompts together exceed one backend's cache but fit in all of them. Placements: round-robin,
/// least-inflight, least-inflight with <c>x-session-id</c> per conversation, prefix-aware (no hints),
/// prefix-aware with sessions, prefix-aware through two front-ends taking turns, and the ideal
/// tenant-affinity placement (tenant t always on backend t mod N: through one and two front-ends,
/// and straight to the backends). Ratios are to the ideal through one front-end. Each placement
/// starts on empty caches and is measured after its warm-up. The two front-ends are one cluster: the second's co-hosted silo joins the first's. Prints a table; asserts nothing.
/// </summary>
internal static class PrefixCacheBench
{
    public static async Task<int> RunAsync(ArgumentReader args, string repoRoot)
    {
        var full = args.Flag("full");
        var backendCount = args.Int("backends", 4);
        var cacheTokens = args.Int("cache-tokens", 16_000);
        var workload = new PrefixWorkload(args.Int("tenants", 24), args.Int("system-tokens", 1_500), args.Int("user-tokens", 60), args.Int("turns", 4));
        var workers = args.Int("workers", 12);
        var duration = TimeSpan.FromSeconds(args.Double("duration", full ? 40 : 14));
        var warmup = TimeSpan.FromSeconds(args.Double("warmup", full ? 10 : 5));
        var prefillMsPerToken = args.Double("prefill-ms-per-token", 0.02);
        var decodeMs = args.Double("decode-ms", 4);
        var output = args.String("out") ?? Path.Combine(repoRoot, "bench", "results", "prefix.md");

        // 1. The front-end's added cost: hashing a long prompt.
        var (hashedBytes, hashMicroseconds) = PromptHashMeasure.Run(6_000);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"hashing a 6,000-token prompt ({hashedBytes / 1024.0:0.0} KiB): {hashMicroseconds:0.0} µs (median of 15 batches)"));

        var runDirectory = Directory.CreateTempSubdirectory("cluster-bench-prefix-").FullName;
        Console.WriteLine($"run directory: {runDirectory}");
        var dotnet = Environment.ProcessPath is { } current && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
        using var client = BenchHttpClient.Create();
        await using var registry = new ChildProcessRegistry();
        await using var backends = await PrefixCacheBackends.StartAsync(backendCount, cacheTokens, prefillMsPerToken, prefillBaseMs: 1, decodeMs);
        var launcher = new GatewayLauncher(new GatewayLayout(repoRoot), registry, client, runDirectory, dotnet);
        if (!args.Flag("no-build") && await launcher.BuildAsync(registry.Shutdown) is { } failed)
        {
            Console.Error.WriteLine(failed);
            return 1;
        }

        PrefixPlacement[] placements =
        [
            new("round-robin", "pa-round-robin", Sessions: false, FrontEnds: 1),
            new("least-inflight", "pa-least-inflight", Sessions: false, FrontEnds: 1),
            new("least-inflight + x-session-id", "pa-sessions", Sessions: true, FrontEnds: 1),
            new("prefix-aware, no hints", "pa-prefix", Sessions: false, FrontEnds: 1),
            new("prefix-aware + x-session-id", "pa-prefix-sessions", Sessions: true, FrontEnds: 1),
            new("prefix-aware, 2 front-ends in turn", "pa-prefix-two", Sessions: false, FrontEnds: 2),
            new("ideal: tenant t on backend t mod N", PrefixPlacement.IdealModelPrefix, Sessions: false, FrontEnds: 1, Ideal: true),
            new("ideal, 2 front-ends in turn", PrefixPlacement.IdealModelPrefix, Sessions: false, FrontEnds: 2, Ideal: true),
            new("ideal, straight to the backends (no gateway)", null, Sessions: false, FrontEnds: 0),
        ];
        var config = Config(backends, cacheTokens, placements);
        config["Routing"] = new JsonObject { ["PrefixSpillPercent"] = args.Int("spill-percent", 200) };
        var configPath = GatewayConfigFile.Write(runDirectory, "prefix", config);
        var first = await launcher.StartSingleAsync("prefix-fe1", GatewayVariant.Off, configPath, registry.Shutdown);

        // The second front-end's co-hosted silo joins the first's: one cluster of two silos, as two
        // front-ends of one deployment run (they share the status and prefix-homes grains).
        var second = await launcher.StartSingleAsync("prefix-fe2", GatewayVariant.Off, configPath, registry.Shutdown, join: first);
        Uri[] frontEnds = [first.BaseUri, second.BaseUri];

        // --only a,b: the placements whose name contains any of the words (the ideal always runs: the ratios need it).
        var only = args.String("only")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        // The gateway's JIT and connections warm up on an unmeasured round of the ideal placement, so the first row measured is not the one that pays for it.
        await new PrefixPhase(client, workload, backends, frontEnds).RunAsync(placements.First(p => p.Ideal), workers, warmup, warmup);
        var results = new List<PrefixPhaseResult>();
        foreach (var placement in placements.Where(p => only is null || p == placements.First(q => q.Ideal) || only.Any(o => p.Name.Contains(o, StringComparison.OrdinalIgnoreCase))))
        {
            backends.Clear();
            var result = await new PrefixPhase(client, workload, backends, frontEnds).RunAsync(placement, workers, duration, warmup) with
            {
                Imbalance = backends.Imbalance,
                ColdPer100 = backends.Requests == 0 ? 0 : backends.ColdPrefills * 100.0 / backends.Requests,
                PrefillWaitMs = backends.MeanPrefillWaitMs,
            };
            if (placement.Model?.StartsWith("pa-prefix", StringComparison.Ordinal) == true)
            {
                result = result with { Decisions = await PlacementDecisions.ReadAsync(client, [first.MetricsUri, second.MetricsUri], placement.Model) };
            }

            results.Add(result);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{placement.Name}: {result.Requests} requests, {result.Errors} errors, hit rate {result.HitRate:0.00}, TTFT p50 {result.TtftP50Ms:0.0} ms, p90 {result.TtftP90Ms:0.0} ms, cold prefills {result.ColdPer100:0.0}/100, prefill wait {result.PrefillWaitMs:0.00} ms, busiest {result.Imbalance:0.00}{(result.Decisions is null ? "" : "; placed: " + result.Decisions)}{(result.FirstError is null ? "" : ", first error: " + result.FirstError)}"));
        }

        await launcher.StopAsync(first);
        await launcher.StopAsync(second);

        var machine = MachineInfo.Collect(repoRoot);
        var report = Report(results, machine, workload, backendCount, cacheTokens, workers, duration, warmup, prefillMsPerToken, decodeMs, args.Int("spill-percent", 200), hashedBytes, hashMicroseconds);
        Console.WriteLine();
        Console.WriteLine(report);
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        await File.WriteAllTextAsync(output, report);
        Console.WriteLine($"written to {output}");
        return 0;
    }

    /// <summary>One gateway model per placement, each with one deployment per backend (all models share the backends).</summary>
    private static JsonObject Config(PrefixCacheBackends backends, int cacheTokens, IEnumerable<PrefixPlacement> placements)
    {
        var models = new JsonArray();
        for (var b = 0; b < backends.Count; b++)
        {
            models.Add(new JsonObject
            {
                ["Name"] = PrefixPlacement.IdealModelPrefix + b.ToString(CultureInfo.InvariantCulture),
                ["Deployments"] = new JsonArray(new JsonObject { ["Provider"] = "openai", ["BaseUrl"] = backends.BaseUrl(b), ["UpstreamModel"] = "fake" }),
            });
        }

        foreach (var placement in placements.Where(p => !p.Direct && !p.Ideal))
        {
            var deployments = new JsonArray();
            for (var b = 0; b < backends.Count; b++)
            {
                deployments.Add(new JsonObject
                {
                    ["Provider"] = "openai",
                    ["BaseUrl"] = backends.BaseUrl(b),
                    ["UpstreamModel"] = "fake",
                    ["CacheTokens"] = cacheTokens,
                });
            }

            var routing = placement.Model!.StartsWith("pa-prefix", StringComparison.Ordinal) ? "prefix-aware"
                : placement.Model == "pa-round-robin" ? "round-robin" : "least-inflight";
            models.Add(new JsonObject { ["Name"] = placement.Model, ["Routing"] = routing, ["Deployments"] = deployments });
        }

        return new JsonObject
        {
            ["Models"] = models,
            ["Usage"] = new JsonObject { ["Enabled"] = false },
            ["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Warning" } },
        };
    }

    private static string Report(
        List<PrefixPhaseResult> results, MachineInfo machine, PrefixWorkload workload, int backends, int cacheTokens, int workers, TimeSpan duration, TimeSpan warmup,
        double prefillMsPerToken, double decodeMs, int spillPercent, int hashedBytes, double hashMicroseconds)
    {
        var ideal = results.First(r => r.Placement.Ideal);
        var text = new StringBuilder();
        text.AppendLine("# Prefix-cache-aware routing");
        text.AppendLine();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"`dotnet bench/Cluster.Bench/bin/Release/net10.0/Cluster.Bench.dll prefix`, {machine.Date:yyyy-MM-dd HH:mm} UTC, commit {machine.Commit}, {machine.Cores} cores ({machine.CpuModel}), load average {MachineInfo.LoadAverage()}, other work running on the machine."));
        text.AppendLine();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"{backends} simulated backends, each caching {cacheTokens:N0} tokens (blocks of {SimulatedPrefixCache.BlockTokens}, LRU), prefill {prefillMsPerToken} ms per uncached token one prompt at a time, {PrefixCacheBackends.ReplyChunks} chunks {decodeMs} ms apart; "
            + $"{workload.Tenants} tenants × {workload.SystemTokens:N0}-token system prompt ({workload.Tenants * workload.SystemTokens:N0} tokens of shared prefixes: more than one cache holds, less than all do), "
            + $"conversations of {workload.Turns} turns, {workers} clients in a closed loop, `Routing:PrefixSpillPercent` {spillPercent}, {duration.TotalSeconds:0} s per placement of which the first {warmup.TotalSeconds:0} s not counted, caches emptied between placements."));
        text.AppendLine();
        text.AppendLine("| placement | requests | errors | prefix-cache hit rate | TTFT p50 | TTFT p90 | hit rate / ideal | TTFT p90 / ideal | busiest backend / fair share | prefix misses per 100 requests | mean prefill queue wait |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            text.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Placement.Name} | {r.Requests} | {r.Errors} | {r.HitRate:0.00} | {r.TtftP50Ms:0.0} ms | {r.TtftP90Ms:0.0} ms | {r.HitRate / ideal.HitRate:0.00} | {r.TtftP90Ms / ideal.TtftP90Ms:0.00} | {r.Imbalance:0.00} | {r.ColdPer100:0.0} | {r.PrefillWaitMs:0.00} ms |"));
        }

        text.AppendLine();
        foreach (var r in results.Where(r => r.Decisions is not null))
        {
            text.AppendLine($"- {r.Placement.Name}: placed {r.Decisions} (warm-up included).");
        }

        text.AppendLine();
        text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"Hashing a 6,000-token chat prompt ({hashedBytes:N0} bytes) into chained blocks on the front-end: {hashMicroseconds:0.0} µs (median)."));
        return text.ToString();
    }
}
