using Cluster.Bench.Cli;
using Cluster.Bench.Proxy;
using Cluster.Bench.Runner;
using Cluster.Bench.Upstream;

// `Cluster.Bench upstream …` and `Cluster.Bench yarp …` are the child servers the runner starts;
// `Cluster.Bench bodies` measures large request bodies' memory; `Cluster.Bench responses` a Responses
// follow-up turn against the same chat completion; `Cluster.Bench prefix` prefix-cache routing against
// simulated prefix caches; `Cluster.Bench storage` what Azurite's table storage does on its own;
// anything else is a bench run.
try
{
    return args.FirstOrDefault() switch
    {
        "upstream" => await FakeUpstreamServer.RunAsync(new ArgumentReader(args.Skip(1))),
        "yarp" => await YarpForwarderServer.RunAsync(new ArgumentReader(args.Skip(1))),
        "prefix" => await Cluster.Bench.PrefixCache.PrefixCacheBench.RunAsync(new ArgumentReader(args.Skip(1)), Cluster.Bench.Gateway.GatewayLayout.Find(Directory.GetCurrentDirectory()).RepoRoot),
        "bodies" => await BodyMemoryBench.RunAsync(new ArgumentReader(args.Skip(1)), Cluster.Bench.Gateway.GatewayLayout.Find(Directory.GetCurrentDirectory()).RepoRoot),
        "storage" => await Cluster.Bench.Storage.StorageCapacityBench.RunAsync(new ArgumentReader(args.Skip(1)), Cluster.Bench.Gateway.GatewayLayout.Find(Directory.GetCurrentDirectory()).RepoRoot),
        "responses" => await ResponsesBench.RunAsync(new ArgumentReader(args.Skip(1)), Cluster.Bench.Gateway.GatewayLayout.Find(Directory.GetCurrentDirectory()).RepoRoot),
        "--help" or "-h" => PrintUsage(),
        _ => await new BenchRunner(BenchSettings.FromArgs(args)).RunAsync(),
    };
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    Console.Error.WriteLine(BenchSettings.Usage);
    return 2;
}

static int PrintUsage()
{
    Console.WriteLine(BenchSettings.Usage);
    return 0;
}
