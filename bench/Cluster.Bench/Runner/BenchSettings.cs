using Cluster.Bench.Cli;

namespace Cluster.Bench.Runner;

/// <summary>What one bench run measures and for how long.</summary>
internal sealed record BenchSettings
{
    public static readonly string[] AllTargets = ["direct", "yarp", "gateway", "gateway+ledger", "gateway+limits", "cluster", "cluster+ledger", "cluster+limits"];

    public required string Mode { get; init; }

    public required string OutPath { get; init; }

    public required string RepoRoot { get; init; }

    public int Rounds { get; init; }

    public TimeSpan RoundDuration { get; init; }

    public TimeSpan WarmupDuration { get; init; }

    public int[] Concurrencies { get; init; } = [];

    public int[] StreamConcurrencies { get; init; } = [];

    public int StreamChunks { get; init; }

    public int ChunkIntervalMs { get; init; }

    public int UpstreamDelayMs { get; init; }

    /// <summary>A fixed delay in front of Azure Table storage for the cluster rows (a TCP proxy), 0 for none.</summary>
    public int StorageDelayMs { get; init; }

    public bool LoadRounds { get; init; }

    public bool OpenLoop { get; init; }

    public int OpenLoopRounds { get; init; }

    public TimeSpan OpenLoopDuration { get; init; }

    /// <summary>Requests per second for the open loop; 0 picks half the slowest target's c=16 throughput.</summary>
    public double OpenLoopRate { get; init; }

    public bool MemoryCheck { get; init; }

    public TimeSpan MemoryCheckDuration { get; init; }

    public TimeSpan MemorySampleInterval { get; init; }

    public bool Accuracy { get; init; }

    public bool StartAzurite { get; init; }

    public bool Build { get; init; }

    public IReadOnlySet<string> Targets { get; init; } = new HashSet<string>(AllTargets);

    public static string Usage => """
        Cluster.Bench — gateway overhead, streaming and admission, side by side with a direct call and YARP.

          dotnet run -c Release --project bench/Cluster.Bench -- [--quick|--full] [--accuracy] [options]

          --quick               3 rounds × 0.8 s per cell (default); under 3 minutes on 2 cores
          --full                5 rounds × 3 s, streamed at every concurrency, open loop, 2-minute memory check, accuracy
          --accuracy            rate-limit accuracy (Rpm 100, 500 concurrent requests, twice across a window);
                                alone it runs only that check and writes bench/results/accuracy.md
          --out PATH            report file (default bench/results/latest.md)
          --targets LIST        subset of direct,yarp,gateway,gateway+ledger,gateway+limits,cluster,cluster+ledger,cluster+limits
          --rounds N  --duration SECONDS  --warmup SECONDS
          --concurrency 1,4,16,64   --stream-concurrency 1,16
          --chunks N  --chunk-interval-ms MS  --delay-ms MS   (fake upstream behaviour)
          --rate RPS            open-loop rate (default: half the slowest target's c=16 throughput)
          --open-loop / --memory    add these phases to a quick run
          --azurite             start Azurite with deploy/local/azurite.sh (else only probe 127.0.0.1:10002)
          --storage-delay-ms MS put a TCP proxy adding MS per request in front of Azure Table storage
                                for the cluster rows (e.g. 5 for a cloud-like round trip)
          --no-build            do not build api/ and silo/ first
        """;

    public static BenchSettings FromArgs(string[] args)
    {
        var reader = new ArgumentReader(args);
        var known = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        {
            "quick", "full", "accuracy", "out", "targets", "rounds", "duration", "warmup", "concurrency",
            "stream-concurrency", "chunks", "chunk-interval-ms", "delay-ms", "rate", "open-loop", "memory",
            "azurite", "no-build", "repo", "storage-delay-ms",
        };
        var unknown = reader.Names.Where(name => !known.Contains(name)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException($"unknown option(s): {string.Join(", ", unknown.Select(n => "--" + n))}");
        }

        var full = reader.Flag("full");
        var accuracyOnly = reader.Flag("accuracy") && !full && !reader.Flag("quick");
        var repo = reader.String("repo") ?? Gateway.GatewayLayout.Find(Directory.GetCurrentDirectory()).RepoRoot;
        var defaultOut = accuracyOnly ? "bench/results/accuracy.md" : "bench/results/latest.md";
        var targets = reader.String("targets") is { } list
            ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase)
            // Quick mode leaves out the cluster's ledger-only row to stay under three minutes; the
            // cluster+limits row still shows the ledger's durable writes on Azure Table.
            : new HashSet<string>(full ? AllTargets : AllTargets.Where(t => t != "cluster+ledger"), StringComparer.OrdinalIgnoreCase);
        var badTargets = targets.Except(AllTargets, StringComparer.OrdinalIgnoreCase).ToList();
        if (badTargets.Count > 0)
        {
            throw new ArgumentException($"unknown target(s): {string.Join(", ", badTargets)}");
        }

        // Direct is the baseline every "added" figure is measured against.
        targets.Add("direct");

        var outPath = reader.String("out") ?? defaultOut;
        return new BenchSettings
        {
            Mode = accuracyOnly ? "accuracy" : full ? "full" : "quick",
            OutPath = Path.IsPathRooted(outPath) ? outPath : Path.Combine(repo, outPath),
            RepoRoot = repo,
            Rounds = reader.Int("rounds", full ? 5 : 3),
            RoundDuration = TimeSpan.FromSeconds(reader.Double("duration", full ? 3 : 0.8)),
            WarmupDuration = TimeSpan.FromSeconds(reader.Double("warmup", full ? 3 : 1)),
            Concurrencies = reader.IntList("concurrency", [1, 4, 16, 64]),
            StreamConcurrencies = reader.IntList("stream-concurrency", full ? [1, 4, 16, 64] : [1, 16]),
            StreamChunks = reader.Int("chunks", 16),
            ChunkIntervalMs = reader.Int("chunk-interval-ms", 2),
            UpstreamDelayMs = reader.Int("delay-ms", 0),
            StorageDelayMs = reader.Int("storage-delay-ms", 0),
            LoadRounds = !accuracyOnly,
            OpenLoop = !accuracyOnly && (full || reader.Flag("open-loop")),
            OpenLoopRounds = full ? 3 : 1,
            OpenLoopDuration = TimeSpan.FromSeconds(full ? 5 : 3),
            OpenLoopRate = reader.Double("rate", 0),
            MemoryCheck = !accuracyOnly && (full || reader.Flag("memory")),
            MemoryCheckDuration = TimeSpan.FromMinutes(2),
            MemorySampleInterval = TimeSpan.FromSeconds(5),
            Accuracy = reader.Flag("accuracy") || full,
            StartAzurite = reader.Flag("azurite"),
            Build = !reader.Flag("no-build"),
            Targets = targets,
        };
    }
}
