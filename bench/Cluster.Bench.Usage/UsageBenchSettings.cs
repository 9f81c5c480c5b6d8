using System.Globalization;

namespace Cluster.Bench.Usage;

/// <summary>What the usage bench writes and how often it asks.</summary>
internal sealed record UsageBenchSettings(int Records, int Days, int Models, int Keys, int Concurrency, int Runs, string? Out)
{
    public const string Usage = """
        Cluster.Bench.Usage: writes records through the usage ledger (grain calls into an in-memory silo),
        then times GET /usage over HTTP for the whole range.

          --records N       records to write (default 1000000)
          --days N          UTC days they spread over, ending today (default 30)
          --models N        distinct models (default 3)
          --keys N          distinct keys (default 10)
          --concurrency N   records in flight while writing (default 512)
          --runs N          timed /usage calls per grouping (default 20)
          --out PATH        also write the table to PATH (default bench/results/usage.md)
        """;

    public static UsageBenchSettings FromArgs(string[] args)
    {
        var settings = new UsageBenchSettings(1_000_000, 30, 3, 10, 512, 20, "bench/results/usage.md");
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Number() => int.TryParse(Next(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                ? n
                : throw new ArgumentException($"{args[i - 1]} needs a positive whole number.");
            settings = args[i] switch
            {
                "--records" => settings with { Records = Number() },
                "--days" => settings with { Days = Number() },
                "--models" => settings with { Models = Number() },
                "--keys" => settings with { Keys = Number() },
                "--concurrency" => settings with { Concurrency = Number() },
                "--runs" => settings with { Runs = Number() },
                "--out" => settings with { Out = Next() },
                _ => throw new ArgumentException($"Unknown option {args[i]}."),
            };
        }

        return settings;
    }
}
