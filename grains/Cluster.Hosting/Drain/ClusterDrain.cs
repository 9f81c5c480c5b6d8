using Cluster.Hosting.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Cluster.Hosting.Drain;

/// <summary>
/// How a process stops on SIGTERM (or Ctrl-C): the host's shutdown timeout becomes
/// <c>Cluster:DrainTimeoutSeconds</c>, the time requests in flight, streams included, get to
/// finish before what is left is cut. Readiness endpoints answer 503 from the first moment of the
/// shutdown (<see cref="IHostApplicationLifetime.ApplicationStopping"/>), so a load balancer or an
/// orchestrator stops sending new work while the old finishes.
/// </summary>
public static class ClusterDrain
{
    public static void AddClusterDrain(this IHostApplicationBuilder builder)
    {
        var host = builder.Configuration.GetSection(ClusterHostOptions.SectionName).Get<ClusterHostOptions>() ?? new ClusterHostOptions();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = host.DrainTimeout);
    }

    /// <summary>True once the process has begun to stop: it must not be sent new work.</summary>
    public static bool IsDraining(this IHostApplicationLifetime lifetime) => lifetime.ApplicationStopping.IsCancellationRequested;
}
