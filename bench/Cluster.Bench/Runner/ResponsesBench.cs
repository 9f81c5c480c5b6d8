using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Cluster.Bench.Cli;
using Cluster.Bench.Gateway;
using Cluster.Bench.Load;
using Cluster.Bench.Processes;

namespace Cluster.Bench.Runner;

/// <summary>
/// <c>Cluster.Bench responses</c>: what a Responses follow-up turn costs over the same chat
/// completion. Starts the fake upstream and a co-hosted gateway (no auth, no ledger), stores one
/// response, then sends, alternately and one at a time, <c>--requests</c> (400) follow-up turns
/// (<c>previous_response_id</c>: the gateway reads the chain from its grains, translates, relays,
/// translates back and stores the new turn) and as many chat completions carrying the same
/// messages the follow-up sends upstream. Prints one markdown row: the p50 of each and the
/// difference (the target: ≤ 1 ms).
/// </summary>
internal static class ResponsesBench
{
    public static async Task<int> RunAsync(ArgumentReader args, string repoRoot)
    {
        var requests = args.Int("requests", 400);
        var warmup = args.Int("warmup", 100);
        var runDirectory = Directory.CreateTempSubdirectory("cluster-bench-responses-").FullName;
        var dotnet = Environment.ProcessPath is { } current && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
        using var client = BenchHttpClient.Create();
        await using var registry = new ChildProcessRegistry();
        var own = new OwnServers(registry, runDirectory, dotnet);
        var (_, upstreamRoot) = await own.StartUpstreamAsync(BenchSettings.FromArgs([]), registry.Shutdown);
        var config = GatewayConfigFile.Build(upstreamRoot, GatewayVariant.Off);
        var launcher = new GatewayLauncher(new GatewayLayout(repoRoot), registry, client, runDirectory, dotnet);
        var gateway = await launcher.StartSingleAsync("responses", GatewayVariant.Off, GatewayConfigFile.Write(runDirectory, "responses", config), registry.Shutdown);

        // The chain's first turn; every follow-up continues it, so each replays the same history.
        var first = await PostAsync(client, new Uri(gateway.BaseUri, "responses"), new JsonObject { ["model"] = GatewayConfigFile.PublicModel, ["input"] = "hello" });
        var firstId = first["id"]!.GetValue<string>();
        var reply = first["output"]![0]!["content"]![0]!["text"]!.GetValue<string>();
        var followUp = new JsonObject { ["model"] = GatewayConfigFile.PublicModel, ["input"] = "and then?", ["previous_response_id"] = firstId }.ToJsonString();
        var chat = new JsonObject
        {
            ["model"] = GatewayConfigFile.PublicModel,
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "user", ["content"] = "hello" },
                new JsonObject { ["role"] = "assistant", ["content"] = reply },
                new JsonObject { ["role"] = "user", ["content"] = "and then?" }),
        }.ToJsonString();

        var responseTimes = new List<double>(requests);
        var chatTimes = new List<double>(requests);
        for (var i = 0; i < warmup + requests; i++)
        {
            var measured = i >= warmup;
            var r = await TimeAsync(client, new Uri(gateway.BaseUri, "responses"), followUp);
            var c = await TimeAsync(client, new Uri(gateway.BaseUri, "chat/completions"), chat);
            if (measured)
            {
                responseTimes.Add(r);
                chatTimes.Add(c);
            }
        }

        var chatP50 = Percentile(chatTimes, 0.5);
        var responseP50 = Percentile(responseTimes, 0.5);
        Console.WriteLine("| requests | chat completion p50 | Responses follow-up p50 | follow-up − chat (p50) | chat p99 | follow-up p99 |");
        Console.WriteLine("|---|---|---|---|---|---|");
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"| {requests} each, alternating, c = 1 | {chatP50:0.00} ms | {responseP50:0.00} ms | {responseP50 - chatP50:+0.00;-0.00} ms (target ≤ 1 ms) | {Percentile(chatTimes, 0.99):0.00} ms | {Percentile(responseTimes, 0.99):0.00} ms |"));
        await launcher.StopAsync(gateway);
        return 0;
    }

    private static async Task<double> TimeAsync(HttpClient client, Uri uri, string body)
    {
        var clock = Stopwatch.StartNew();
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync(uri, content);
        var text = await response.Content.ReadAsStringAsync();
        var elapsed = clock.Elapsed.TotalMilliseconds;
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{uri}: {(int)response.StatusCode} {text[..Math.Min(300, text.Length)]}");
        }

        return elapsed;
    }

    private static async Task<JsonNode> PostAsync(HttpClient client, Uri uri, JsonObject body)
    {
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync(uri, content);
        var text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode ? JsonNode.Parse(text)! : throw new InvalidOperationException($"{uri}: {(int)response.StatusCode} {text}");
    }

    /// <summary>Nearest rank.</summary>
    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}
