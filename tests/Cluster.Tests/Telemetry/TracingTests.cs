using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Cluster.Relay.Telemetry;
using Cluster.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Cluster.Tests.Telemetry;

/// <summary>
/// The traces a request leaves: the front-end's server span, the grain call, and the upstream HTTP
/// call in one trace; probes leave none. Spans are collected with OpenTelemetry's in-memory exporter.
/// </summary>
public sealed class TracingTests : IAsyncLifetime
{
    private readonly LockedCollection<Activity> _spans = new();
    private FakeUpstream _upstream = null!;
    private GatewayHost _gateway = null!;
    private readonly GatewayClient _client = new();

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstream.StartAsync("traced-upstream");
        var config = new JsonObject
        {
            ["Tracing"] = new JsonObject { ["Enabled"] = true },
            ["Models"] = new JsonArray(new JsonObject
            {
                ["Name"] = "traced",
                ["Deployments"] = new JsonArray(new JsonObject { ["Provider"] = "openai", ["BaseUrl"] = _upstream.BaseUrl }),
            }),
        };
        _gateway = await GatewayHost.StartAsync(config, builder =>
            builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(_spans)));
    }

    [Fact]
    public async Task ChatCompletion_CoHosted_ServerGrainAndUpstreamSpansShareOneTrace()
    {
        var response = await _client.ChatAsync(_gateway.BaseUrl, null, "traced");
        Assert.Equal(HttpStatusCode.OK, response.Status);

        // Listeners are process-wide: other tests' hosts leave spans here too, so spans are told
        // apart by this test's ports.
        Activity? server = null, upstream = null;
        await Eventually.UntilAsync(() =>
        {
            var spans = _spans.Snapshot();
            upstream = spans.FirstOrDefault(s => s.Kind == ActivityKind.Client && s.Source.Name == "System.Net.Http"
                && s.GetTagItem("url.full") is string url && url.StartsWith(_upstream.BaseUrl, StringComparison.Ordinal));
            server = spans.FirstOrDefault(s => IsOurs(s) && s.DisplayName.Contains("chat/completions", StringComparison.Ordinal));
            return server is not null && upstream is not null;
        }, "the server and upstream spans", TimeSpan.FromSeconds(10), () => Describe());

        Assert.True(server!.TraceId == upstream!.TraceId, $"The upstream call is not in the request's trace:{Environment.NewLine}{Describe()}");
        Assert.Contains(_spans.Snapshot(), s => s.TraceId == server.TraceId && s.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal));

        // The relay's GenAI span wraps the upstream call, with what the backend reported.
        var genAi = _spans.Snapshot().Single(s => s.TraceId == server.TraceId && s.Source.Name == GenAiSpans.SourceName);
        Assert.Equal("chat traced", genAi.DisplayName);
        Assert.Equal(ActivityKind.Client, genAi.Kind);
        Assert.Equal(genAi.SpanId, upstream.ParentSpanId);
        Assert.Equal("openai", genAi.GetTagItem("gen_ai.provider.name"));
        Assert.Equal((long)FakeUpstream.PromptTokens, genAi.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.True(genAi.GetTagItem("gen_ai.usage.output_tokens") is long output && output > 0);
    }

    [Fact]
    public async Task Probes_Requested_LeaveNoSpans()
    {
        Assert.Equal(HttpStatusCode.OK, (await _client.Http.GetAsync(_gateway.BaseUrl + "/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.Http.GetAsync(_gateway.BaseUrl + "/metrics")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _client.Http.GetAsync(_gateway.BaseUrl + "/v1/models")).StatusCode);

        // The models request is traced, so once its span is in, the probes' would be too.
        await Eventually.UntilAsync(() => _spans.Snapshot().Any(s => IsOurs(s) && s.DisplayName.Contains("models", StringComparison.Ordinal)),
            "the models request's span", TimeSpan.FromSeconds(10), () => Describe());
        Assert.DoesNotContain(_spans.Snapshot(), s => IsOurs(s) && (s.DisplayName.Contains("health", StringComparison.Ordinal) || s.DisplayName.Contains("metrics", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Gateway_NoExporterConfigured_MakesNoTracerProvider()
    {
        // Spans nobody exports still cost their activities, so without an OTLP endpoint or
        // Tracing:Enabled the process does not listen for them at all.
        Assert.NotNull(_gateway.Services.GetService<TracerProvider>());
        var config = new JsonObject
        {
            ["Models"] = new JsonArray(new JsonObject
            {
                ["Name"] = "untraced",
                ["Deployments"] = new JsonArray(new JsonObject { ["Provider"] = "openai", ["BaseUrl"] = _upstream.BaseUrl }),
            }),
        };
        await using var untraced = await GatewayHost.StartAsync(config);
        Assert.Null(untraced.Services.GetService<TracerProvider>());
        Assert.Equal(HttpStatusCode.OK, (await _client.ChatAsync(untraced.BaseUrl, null, "untraced")).Status);
    }

    [Fact]
    public void GenAiSpan_RequestAndResponse_FollowsTheSemanticConventions()
    {
        var spans = new List<Activity>();
        using (Sdk.CreateTracerProviderBuilder().AddSource(GenAiSpans.SourceName).AddInMemoryExporter(spans).Build())
        {
            using (var span = GenAiSpans.StartRequest("chat", "llama-3.1-8b", "openai", conversationId: "session-1"))
            {
                span.SetResponse("meta-llama/Llama-3.1-8B-Instruct", "chatcmpl-1", 7, 12);
            }

            using (var failed = GenAiSpans.StartRequest("text_completion", "echo", "echo"))
            {
                failed.SetError("upstream_timeout");
            }
        }

        var ok = Assert.Single(spans, s => s.DisplayName == "chat llama-3.1-8b");
        Assert.Equal(ActivityKind.Client, ok.Kind);
        Assert.Equal("chat", ok.GetTagItem("gen_ai.operation.name"));
        Assert.Equal("llama-3.1-8b", ok.GetTagItem("gen_ai.request.model"));
        Assert.Equal("openai", ok.GetTagItem("gen_ai.provider.name"));
        Assert.Equal("session-1", ok.GetTagItem("gen_ai.conversation.id"));
        Assert.Equal("meta-llama/Llama-3.1-8B-Instruct", ok.GetTagItem("gen_ai.response.model"));
        Assert.Equal("chatcmpl-1", ok.GetTagItem("gen_ai.response.id"));
        Assert.Equal(7L, ok.GetTagItem("gen_ai.usage.input_tokens"));
        Assert.Equal(12L, ok.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal(ActivityStatusCode.Unset, ok.Status);

        var failedSpan = Assert.Single(spans, s => s.DisplayName == "text_completion echo");
        Assert.Equal("upstream_timeout", failedSpan.GetTagItem("error.type"));
        Assert.Equal(ActivityStatusCode.Error, failedSpan.Status);
    }

    /// <summary>A server span of this test's gateway.</summary>
    private bool IsOurs(Activity span) =>
        span.Kind == ActivityKind.Server && span.GetTagItem("server.port") is int port && port == new Uri(_gateway.BaseUrl).Port;

    private string Describe()
    {
        return string.Join(Environment.NewLine, _spans.Snapshot().Select(s => $"{s.Source.Name} {s.Kind} {s.DisplayName} trace {s.TraceId} parent {s.ParentSpanId} span {s.SpanId} {s.GetTagItem("url.full")} port {s.GetTagItem("server.port")}"));
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
        _client.Dispose();
    }
}
