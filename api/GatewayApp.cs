using Cluster.Api.Admin;
using Cluster.Api.Auth;
using Cluster.Api.Completions;
using Cluster.Api.Conversations;
using Cluster.Api.Console;
using Cluster.Api.Health;
using Cluster.Api.Models;
using Cluster.Api.OpenAI;
using Cluster.Api.Responses;
using Cluster.Api.Server;
using Cluster.Api.Telemetry;
using Cluster.Api.Usage;
using Cluster.Hosting;
using Cluster.Hosting.Configuration;
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
        builder.AddClusterConfiguration(
            args,
            new SettingsSection<AuthOptions>(AuthOptions.SectionName, new AuthOptionsValidator()),
            new SettingsSection<ServerOptions>(ServerOptions.SectionName, new ServerOptionsValidator()));
        builder.AddClusterMember(allowClient: true);
        builder.AddClusterDrain();
        builder.AddClusterTracing("completion-cluster-api", allowClient: true);

        var server = builder.Configuration.GetSection(ServerOptions.SectionName).Get<ServerOptions>() ?? new ServerOptions();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = server.MaxRequestBodyBytes;

            // Above the gateway's own limits (RequestLimitsMiddleware), which answer in OpenAI's shape.
            kestrel.Limits.MaxRequestHeadersTotalSize = server.MaxRequestHeadersBytes * ServerOptions.KestrelHeadersFactor;
            kestrel.Limits.MaxRequestHeaderCount = server.MaxRequestHeaderCount * ServerOptions.KestrelHeadersFactor;
            kestrel.Limits.MaxRequestLineSize = server.MaxRequestLineBytes * ServerOptions.KestrelHeadersFactor;
            kestrel.Limits.RequestHeadersTimeout = server.RequestHeadersTimeout;
            kestrel.Limits.MinRequestBodyDataRate = server.MinRequestBodyBytesPerSecond > 0
                ? new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(server.MinRequestBodyBytesPerSecond, server.MinRequestBodyGrace)
                : null;
        });

        var services = builder.Services;
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName).ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<AuthOptions>, AuthOptionsValidator>();
        services.AddOptions<ServerOptions>().BindConfiguration(ServerOptions.SectionName).ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<ServerOptions>, ServerOptionsValidator>();
        services.AddSingleton<CallerAuthenticator>();
        services.AddSingleton<FailedAuthentications>();
        services.AddSingleton<LargeBodyMemory>();
        services.AddHostedService(provider => provider.GetRequiredService<LargeBodyMemory>());
        services.AddRelay();
        services.AddSingleton<CompletionHandler>();
        services.AddResponses();
        services.AddSingleton<GatewayMetrics>();
        services.AddSingleton<Usage.UsageQuery>();
        services.AddSingleton<Usage.UsageRecordsQuery>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(GatewayMetrics.MeterName, Cluster.Relay.Routing.Prefix.PrefixCacheMetrics.MeterName, GrainCallCounter.MeterName, "Microsoft.Orleans", "System.Runtime")
            .AddPrometheusExporter());

        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseStatusCodePages(context => OpenAIErrors.WriteStatusAsync(context.HttpContext));
        app.UseMiddleware<ErrorBoundaryMiddleware>();
        app.UseMiddleware<RequestLimitsMiddleware>();
        app.MapPrometheusScrapingEndpoint("/metrics");
        app.MapPrometheusScrapingEndpoint("/v1/metrics");
        app.MapConsole();
        foreach (var prefix in RoutePrefixes)
        {
            var routes = app.MapGroup(prefix);
            routes.MapCompletions();
            routes.MapResponses();
            routes.MapConversations();
            routes.MapModels();
            routes.MapHealth();
            routes.MapUsage();
            routes.MapAdmin();
        }

        return app;
    }
}
