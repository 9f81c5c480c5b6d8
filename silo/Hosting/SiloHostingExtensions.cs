using Cluster.Hosting;
using Cluster.Hosting.Configuration;
using Cluster.Silo.Health;
using OpenTelemetry.Metrics;

namespace Cluster.Silo.Hosting;

/// <summary>What the silo program adds to a cluster member: its HTTP endpoint's services and its drain.</summary>
internal static class SiloHostingExtensions
{
    /// <summary>The meter of the gateway's request metrics, wherever requests are relayed.</summary>
    private const string GatewayMeterName = "Cluster.Gateway";

    /// <summary>On SIGTERM: readiness 503, then the silo stops gracefully, then the HTTP server.</summary>
    public static void AddSiloDrain(this IHostApplicationBuilder builder) =>
        builder.Services.AddSingleton<IHostedService, SiloDrain>();

    /// <summary>With <c>Cluster:Kubernetes=true</c>: Orleans' Kubernetes hosting (see <see cref="ClusterHostOptions.Kubernetes"/>).</summary>
    public static void AddKubernetesHostingWhenEnabled(this IHostApplicationBuilder builder)
    {
        if (builder.Configuration.GetSection(ClusterHostOptions.SectionName).Get<ClusterHostOptions>()?.Kubernetes == true)
        {
            builder.Services.UseKubernetesHosting();
        }
    }

    public static void AddSiloHealth(this IHostApplicationBuilder builder) =>
        builder.Services.AddSingleton<SiloReadiness>();

    /// <summary>Prometheus metrics: Orleans' meters, the .NET runtime's and process's, and the gateway's own.</summary>
    public static void AddSiloTelemetry(this IHostApplicationBuilder builder) =>
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter("Microsoft.Orleans", "System.Runtime", GrainCallCounter.MeterName, GatewayMeterName)
            .AddPrometheusExporter());
}
