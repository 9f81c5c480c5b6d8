using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Cluster.Bench.Cli;
using Cluster.Bench.Gateway;
using Cluster.Bench.Load;
using Cluster.Bench.Processes;

namespace Cluster.Bench.Runner;

/// <summary>
/// <c>Cluster.Bench bodies</c>: what large request bodies cost the gateway's memory. Starts the
/// fake upstream and a co-hosted gateway with <c>Server:MaxRequestBodyBytes</c> at 32 MiB, measures
/// its idle RSS, sends <c>--concurrency</c> (8) chat requests of <c>--body-mb</c> (15) MB at once
/// while sampling RSS, then measures again after they finished. Prints one markdown row; the
/// gateway should stay under 2.5× the bodies' total above idle, and give the memory back.
/// </summary>
internal static class BodyMemoryBench
{
    private const long BodyLimit = 32L * 1024 * 1024;

    public static async Task<int> RunAsync(ArgumentReader args, string repoRoot)
    {
        var concurrency = args.Int("concurrency", 8);
        var bodyBytes = (int)(args.Double("body-mb", 15) * 1_000_000);
        var runDirectory = Directory.CreateTempSubdirectory("cluster-bench-bodies-").FullName;
        var dotnet = Environment.ProcessPath is { } current && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
        using var client = BenchHttpClient.Create();
        client.Timeout = TimeSpan.FromMinutes(5);
        await using var registry = new ChildProcessRegistry();
        var own = new OwnServers(registry, runDirectory, dotnet);
        var (_, upstreamRoot) = await own.StartUpstreamAsync(BenchSettings.FromArgs([]), registry.Shutdown);
        var config = GatewayConfigFile.Build(upstreamRoot, GatewayVariant.Off);
        config["Server"] = new System.Text.Json.Nodes.JsonObject { ["MaxRequestBodyBytes"] = BodyLimit };
        var launcher = new GatewayLauncher(new GatewayLayout(repoRoot), registry, client, runDirectory, dotnet);
        var gateway = await launcher.StartSingleAsync("bodies", GatewayVariant.Off, GatewayConfigFile.Write(runDirectory, "bodies", config), registry.Shutdown);
        var pid = gateway.Api.Pid;

        // Warm every path once with a small body, then let the process settle.
        await SendAsync(client, gateway.BaseUri, 1_000);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var idle = ProcessMemory.RssBytes(pid) ?? 0;

        var peak = idle;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, ProcessMemory.RssBytes(pid) ?? 0);
                await Task.Delay(20);
            }
        });
        var clock = Stopwatch.StartNew();
        var statuses = await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => SendAsync(client, gateway.BaseUri, bodyBytes)));
        var elapsed = clock.Elapsed;
        await sampling.CancelAsync();
        await sampler;

        // Memory given back: the RSS once the gateway has been quiet for a while (small requests let the GC run).
        long after = 0;
        for (var i = 0; i < 10; i++)
        {
            await SendAsync(client, gateway.BaseUri, 1_000);
            await Task.Delay(TimeSpan.FromSeconds(1));
            after = ProcessMemory.RssBytes(pid) ?? 0;
        }

        var total = (double)concurrency * bodyBytes;
        var ratio = (peak - idle) / total;
        Console.WriteLine("| bodies | body | idle RSS | peak RSS | peak − idle | (peak − idle) / bodies | RSS 10 s after | statuses | time |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"| {concurrency} concurrent | {bodyBytes / 1e6:0.#} MB | {Mib(idle)} | {Mib(peak)} | {Mib(peak - idle)} | {ratio:0.00}× (limit 2.5×) | {Mib(after)} | {string.Join(" ", statuses.GroupBy(s => s).Select(g => $"{g.Key}×{g.Count()}"))} | {elapsed.TotalSeconds:0.0} s |"));
        await launcher.StopAsync(gateway);
        return ratio < 2.5 && statuses.All(s => s == 200) ? 0 : 1;
    }

    private static string Mib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0} MiB");

    private static async Task<int> SendAsync(HttpClient client, Uri baseUri, int bodyBytes)
    {
        // A chat request whose one message fills the body: the shape a long document or a big paste has.
        var prefix = Encoding.UTF8.GetBytes($$"""{"model":"{{GatewayConfigFile.PublicModel}}","max_tokens":4,"messages":[{"role":"user","content":" """);
        var suffix = "\"}]}"u8.ToArray();
        var body = new byte[Math.Max(bodyBytes, prefix.Length + suffix.Length)];
        prefix.CopyTo(body, 0);
        body.AsSpan(prefix.Length, body.Length - prefix.Length - suffix.Length).Fill((byte)'x');
        suffix.CopyTo(body, body.Length - suffix.Length);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync(new Uri(baseUri, "chat/completions"), content);
        var answer = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            Console.Error.WriteLine($"{(int)response.StatusCode}: {answer[..Math.Min(300, answer.Length)]}");
        }

        return (int)response.StatusCode;
    }
}
