using System.Globalization;
using Cluster.Bench.Hosting;
using Cluster.Bench.Processes;

namespace Cluster.Bench.Runner;

/// <summary>Starts this assembly again as the fake upstream or the YARP forwarder, each in its own process.</summary>
internal sealed class OwnServers(ChildProcessRegistry registry, string runDirectory, string dotnet)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    public Task<(ChildProcess Process, Uri Root)> StartUpstreamAsync(BenchSettings settings, CancellationToken cancellationToken) =>
        StartAsync(
            "fake-upstream",
            "fake OpenAI upstream",
            [
                "upstream",
                "--chunks", Invariant(settings.StreamChunks),
                "--chunk-interval-ms", Invariant(settings.ChunkIntervalMs),
                "--delay-ms", Invariant(settings.UpstreamDelayMs),
            ],
            cancellationToken);

    public Task<(ChildProcess Process, Uri Root)> StartYarpAsync(Uri upstream, CancellationToken cancellationToken) =>
        StartAsync("yarp", "YARP forwarder", ["yarp", "--upstream", upstream.ToString()], cancellationToken);

    private async Task<(ChildProcess Process, Uri Root)> StartAsync(string name, string role, string[] args, CancellationToken cancellationToken)
    {
        var assembly = typeof(OwnServers).Assembly.Location;
        var child = registry.Add(ChildProcess.Start(
            name,
            role,
            dotnet,
            [assembly, .. args, "--port", "0", "--parent-pid", Invariant(Environment.ProcessId)],
            Path.GetDirectoryName(assembly)!,
            Path.Combine(runDirectory, name + ".log")));
        var url = await child.WaitForLineAsync(ChildServer.ListeningPrefix, StartTimeout, cancellationToken);
        return (child, new Uri(url.Trim().TrimEnd('/') + "/"));
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
