using Cluster.Bench.Cli;
using Cluster.Bench.Hosting;

namespace Cluster.Bench.Upstream;

/// <summary>Entry point of <c>Cluster.Bench upstream</c>: the fake OpenAI backend as its own process.</summary>
internal static class FakeUpstreamServer
{
    public static Task<int> RunAsync(ArgumentReader args)
    {
        var options = new FakeUpstreamOptions
        {
            DelayMs = args.Int("delay-ms", 0),
            StreamChunks = Math.Max(1, args.Int("chunks", 16)),
            ChunkIntervalMs = args.Int("chunk-interval-ms", 2),
        };

        var builder = ChildServer.CreateBuilder(args.Int("port", 0));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new UpstreamPayloads(options.StreamChunks));
        builder.Services.AddSingleton<UpstreamStats>();
        var app = builder.Build();
        app.MapFakeUpstream();
        return ChildServer.RunAsync(app, ChildServer.ParentPid(args));
    }
}
