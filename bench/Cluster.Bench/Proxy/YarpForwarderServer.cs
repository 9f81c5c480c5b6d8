using Cluster.Bench.Cli;
using Cluster.Bench.Hosting;
using Yarp.ReverseProxy.Configuration;

namespace Cluster.Bench.Proxy;

/// <summary>
/// Entry point of <c>Cluster.Bench yarp</c>: a plain YARP forwarder with one catch-all route to
/// the fake upstream — the floor any .NET proxy pays.
/// </summary>
internal static class YarpForwarderServer
{
    public static Task<int> RunAsync(ArgumentReader args)
    {
        var upstream = args.String("upstream") ?? throw new ArgumentException("--upstream is required");
        var routes = new[]
        {
            new RouteConfig
            {
                RouteId = "all",
                ClusterId = "upstream",
                Match = new RouteMatch { Path = "{**catch-all}" },
            },
        };
        var clusters = new[]
        {
            new ClusterConfig
            {
                ClusterId = "upstream",
                Destinations = new Dictionary<string, DestinationConfig>
                {
                    ["fake"] = new() { Address = upstream },
                },
            },
        };

        var builder = ChildServer.CreateBuilder(args.Int("port", 0));
        builder.Services.AddReverseProxy().LoadFromMemory(routes, clusters);
        var app = builder.Build();
        app.MapReverseProxy();
        return ChildServer.RunAsync(app, ChildServer.ParentPid(args));
    }
}
