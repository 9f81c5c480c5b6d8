using Cluster.Api.Admin;
using Cluster.Api.Auth;
using Cluster.Api.Completions;
using Cluster.Api.Console;
using Cluster.Api.Health;
using Cluster.Api.Models;
using Cluster.Api.OpenAI;
using Cluster.Api.Telemetry;
using Cluster.Api.Usage;
using Cluster.Hosting;
using Cluster.Hosting.Drain;
using Cluster.Hosting.Telemetry;
using Cluster.Relay.Hosting;
using OpenTelemetry.Metrics;

namespace Cluster.Api;

/// <summary>The front-end: an OpenAI-compatible HTTP API in front of the cluster.</summary>
public static class GatewayApp
{
    /// <summary>Every route is served at the root and under <c>/v1</c>: clients are configured either way.</summary>
    private static readonly string[] RoutePrefixes = ["", "/v1"];

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // appsettings.json is read from beside the program, wherever it is started from.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.AddClusterConfiguration(args);
        builder.AddClusterMember(allowClient: true);
        builder.AddClusterDrain();
        builder.AddClusterTracing("completion-cluster-api", allowClient: true);

        var maxBody = builder.Configuration.GetValue<long?>("Server:MaxRequestBodyBytes") ?? 16 * 1024 * 1024;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = maxBody;
        });

        var services = builder.Services;
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName);
        services.AddSingleton<CallerAuthenticator>();
        services.AddRelay();
        services.AddSingleton<CompletionHandler>();
        services.AddSingleton<GatewayMetrics>();
        services.AddSingleton<Usage.UsageQuery>();
        services.AddSingleton<Usage.UsageRecordsQuery>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(GatewayMetrics.MeterName, GrainCallCounter.MeterName, "Microsoft.Orleans", "System.Runtime")
            .AddPrometheusExporter());

        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseStatusCodePages(context => OpenAIErrors.WriteStatusAsync(context.HttpContext));
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapPrometheusScrapingEndpoint("/v1/metrics");
        app.MapConsole();
        foreach (var prefix in RoutePrefixes)
        {
            var routes = app.MapGroup(prefix);
            routes.MapCompletions();
            routes.MapModels();
            routes.MapHealth();
            routes.MapUsage();
            routes.MapAdmin();
        }

        return app;
    }
}
