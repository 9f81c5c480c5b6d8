using System.Diagnostics;
using Cluster.Bench.Cli;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;

namespace Cluster.Bench.Hosting;

/// <summary>
/// Shared start-up of the servers this bench runs as its own child processes: loopback only,
/// quiet logging, the bound address announced on stdout, and exit when the parent is gone.
/// </summary>
internal static class ChildServer
{
    /// <summary>The line prefix the parent waits for to learn the bound address.</summary>
    public const string ListeningPrefix = "BENCH-LISTENING ";

    public static int? ParentPid(ArgumentReader args) => args.String("parent-pid") is null ? null : args.Int("parent-pid", 0);

    public static WebApplicationBuilder CreateBuilder(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, port);
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxConcurrentConnections = null;
        });
        return builder;
    }

    public static async Task<int> RunAsync(WebApplication app, int? parentPid)
    {
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>();
        Console.Out.WriteLine(ListeningPrefix + addresses.Addresses.First());
        Console.Out.Flush();

        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        if (parentPid is { } pid)
        {
            _ = WatchParentAsync(pid, lifetime);
        }

        await app.WaitForShutdownAsync();
        return 0;
    }

    /// <summary>A bench killed with SIGKILL cannot stop its children; they stop themselves.</summary>
    private static async Task WatchParentAsync(int pid, IHostApplicationLifetime lifetime)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(lifetime.ApplicationStopping))
        {
            if (!IsAlive(pid))
            {
                lifetime.StopApplication();
                return;
            }
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
