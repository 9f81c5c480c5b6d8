using Cluster.Hosting;
using Cluster.Hosting.Configuration;
using Cluster.Hosting.Drain;
using Cluster.Hosting.Telemetry;
using Cluster.Silo.Health;
using Cluster.Silo.Hosting;
using Microsoft.Extensions.Options;

// A silo of the completion cluster: hosts the grains, and serves /health/live, /health/ready and
// /metrics over HTTP at --urls (default http://127.0.0.1:8081) for load balancers and orchestrators.
try
{
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
    builder.AddClusterConfiguration(args);
    builder.AddClusterMember(allowClient: false);
    builder.AddKubernetesHostingWhenEnabled();
    builder.AddClusterDrain();
    builder.AddSiloDrain();
    builder.AddSiloHealth();
    builder.AddSiloTelemetry();
    builder.AddClusterTracing("completion-cluster-silo", allowClient: false);
    builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);

    await using var app = builder.Build();
    app.MapSiloHealth();
    app.MapPrometheusScrapingEndpoint("/metrics");
    await app.RunAsync();
    return 0;
}
catch (Exception ex) when (ex is ClusterConfigurationException or OptionsValidationException)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}
