using Cluster.Hosting.Configuration;
using Cluster.Relay.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Cluster.Hosting.Telemetry;

/// <summary>
/// Traces of a cluster process: the gateway's GenAI spans (<see cref="GenAiSpans"/>), incoming
/// HTTP requests (not the probes and scrapes), outgoing HTTP calls (the upstream backends), and
/// grain calls, whose trace context Orleans carries from the front-end to the silo, so one request
/// is one trace. When <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, traces, metrics and logs are
/// exported there with OTLP (the standard <c>OTEL_*</c> variables apply).
/// <para>
/// Spans are made only when something takes them: with an OTLP endpoint, or with
/// <c>Tracing:Enabled</c> true (for an exporter added in code). A span nobody exports still costs
/// its activity on every request and two on every grain call: a Responses follow-up makes five
/// grain calls, and made without exporting they cost it about 0.15 ms (bench/results/responses.md).
/// </para>
/// </summary>
public static class ClusterTracing
{
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The key that turns tracing on without an OTLP endpoint.</summary>
    public const string EnabledKey = "Tracing:Enabled";

    /// <param name="serviceName">The <c>service.name</c> of this process: <c>completion-cluster-api</c> or <c>completion-cluster-silo</c>.</param>
    /// <param name="allowClient">As for <see cref="ClusterHosting.AddClusterMember"/>: whether this process may be a pure Orleans client.</param>
    public static void AddClusterTracing(this IHostApplicationBuilder builder, string serviceName, bool allowClient)
    {
        var exported = !string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointVariable]);
        if (!exported && !builder.Configuration.GetValue<bool>(EnabledKey))
        {
            return;
        }

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithTracing(tracing => tracing
                .AddSource(GenAiSpans.SourceName, "Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application")
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsOperational(context.Request.Path))
                .AddHttpClientInstrumentation());
        if (exported)
        {
            telemetry.UseOtlpExporter();
        }

        // Grain calls carry the caller's trace context and make spans of their own.
        var host = builder.Configuration.GetSection(ClusterHostOptions.SectionName).Get<ClusterHostOptions>() ?? new();
        if (allowClient && host.IsClient)
        {
            builder.UseOrleansClient(client => client.AddActivityPropagation());
        }
        else
        {
            builder.UseOrleans(silo => silo.AddActivityPropagation());
        }
    }

    private static bool IsOperational(PathString path) =>
        path.StartsWithSegments("/health") || path.StartsWithSegments("/metrics")
        || path.StartsWithSegments("/v1/health") || path.StartsWithSegments("/v1/metrics");
}
