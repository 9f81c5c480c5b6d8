using System.Diagnostics;
using System.Globalization;
using Azure.Data.Tables;
using Cluster.Bench.Cli;
using Cluster.Bench.Processes;
using Cluster.Bench.Reporting;
using Cluster.Bench.Runner;

namespace Cluster.Bench.Storage;

/// <summary>
/// <c>Cluster.Bench storage</c>: what the table storage of the cluster rows can do on its own. Starts
/// Azurite with <c>deploy/local/azurite.sh</c> (port 10002 must be free), then, for each entity size
/// and number of concurrent writers, upserts for <c>--seconds</c> each writer into a partition of its
/// own (as grains write their state rows), before and after <c>--preload</c> rows were stored; prints
/// writes per second, latency and the CPU Azurite's one Node thread spent per write. The ledgered
/// cluster rows can store no more rows per second than this.
/// </summary>
internal static class StorageCapacityBench
{
    private const int TablePort = 10002;

    public static async Task<int> RunAsync(ArgumentReader args, string repoRoot)
    {
        var writers = args.IntList("writers", [1, 4, 16, 64]);
        var sizes = args.IntList("entity-bytes", [300, 16_000]);
        var seconds = args.Double("seconds", 3);
        var preload = args.Int("preload", 20_000);
        var directory = Directory.CreateTempSubdirectory("cluster-bench-storage-").FullName;
        var azurite = Path.Combine(directory, "azurite");
        if (await AzuriteScript.RunAsync(repoRoot, "start", azurite) is { } failure)
        {
            Console.Error.WriteLine(failure);
            return 1;
        }

        try
        {
            var pid = int.Parse(File.ReadAllText(Path.Combine(azurite, "azurite.pid")).Trim(), CultureInfo.InvariantCulture);
            var connection = StorageRoundTrip.AzuriteConnectionString(TablePort);
            var table = new TableClient(connection, "benchcapacity");
            await table.CreateIfNotExistsAsync();
            Console.WriteLine($"Azurite table storage on 127.0.0.1:{TablePort} (pid {pid}), {Environment.ProcessorCount} cores, load average {MachineInfo.LoadAverage()} at start; {seconds:0.#} s per cell.");
            Console.WriteLine();
            Console.WriteLine("| rows already stored | entity | writers | writes/s | p50 ms | p99 ms | Azurite CPU | Azurite CPU per write |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
            var stored = 0;
            foreach (var rows in new[] { 0, preload })
            {
                stored += await PreloadAsync(table, rows - stored);
                foreach (var size in sizes)
                {
                    foreach (var count in writers)
                    {
                        var cell = await MeasureAsync(table, pid, count, size, TimeSpan.FromSeconds(seconds));
                        Console.WriteLine(string.Create(
                            CultureInfo.InvariantCulture,
                            $"| {stored:N0} | {size:N0} B | {count} | {cell.PerSecond:N0} | {cell.P50:0.00} | {cell.P99:0.00} | {cell.CpuPercent:0}% | {cell.CpuMsPerWrite:0.00} ms |"));
                    }
                }
            }

            await table.DeleteAsync();
            return 0;
        }
        finally
        {
            await AzuriteScript.RunAsync(repoRoot, "stop", azurite);
        }
    }

    private static async Task<int> PreloadAsync(TableClient table, int rows)
    {
        var payload = new string('p', 300);
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            for (var i = Interlocked.Increment(ref next); i <= rows; i = Interlocked.Increment(ref next))
            {
                await table.UpsertEntityAsync(new TableEntity("preload" + (i % 997), "row" + i) { ["Data"] = payload });
            }
        }));
        return Math.Max(rows, 0);
    }

    private static async Task<Cell> MeasureAsync(TableClient table, int pid, int writers, int size, TimeSpan duration)
    {
        var payload = new string('x', Math.Min(size, 30_000));
        var extra = size > 30_000 ? new string('y', size - 30_000) : null;
        var timings = new List<double>[writers];
        var cpuBefore = ProcessCpu.UsedMs(pid);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, writers).Select(async w =>
        {
            var mine = timings[w] = [];
            var partition = $"w{writers}-{size}-{w}";
            for (var i = 0; clock.Elapsed < duration; i++)
            {
                var entity = new TableEntity(partition, "row" + (i & 7)) { ["Data"] = payload };
                if (extra is not null)
                {
                    entity["More"] = extra;
                }

                var started = Stopwatch.GetTimestamp();
                await table.UpsertEntityAsync(entity, TableUpdateMode.Replace);
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }));
        var elapsed = clock.Elapsed;
        var cpu = ProcessCpu.UsedMs(pid) - cpuBefore;
        var all = timings.SelectMany(t => t).Order().ToList();
        return new Cell(
            all.Count / elapsed.TotalSeconds,
            all[(int)(all.Count * 0.5)],
            all[Math.Min(all.Count - 1, (int)(all.Count * 0.99))],
            cpu / elapsed.TotalMilliseconds * 100,
            cpu / all.Count);
    }

    private sealed record Cell(double PerSecond, double P50, double P99, double CpuPercent, double CpuMsPerWrite);
}
