using Cluster.Bench.Usage;

try
{
    if (args is ["--help"] or ["-h"])
    {
        Console.WriteLine(UsageBenchSettings.Usage);
        return 0;
    }

    return await new UsageBench(UsageBenchSettings.FromArgs(args)).RunAsync();
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    Console.Error.WriteLine(UsageBenchSettings.Usage);
    return 2;
}
