using System.Net;
using System.Text;
using Cluster.Tests.Support;

namespace Cluster.Tests.Telemetry;

/// <summary>The front-end's Prometheus metrics after real requests: the GenAI client conventions' names.</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task Metrics_AfterAStreamedChat_DurationTokensByTypeAndTimeToFirstChunk()
    {
        await using var gateway = await GatewayHost.StartAsync(GatewayFixture.EchoOnlyConfiguration());
        using var http = new HttpClient { BaseAddress = new Uri(gateway.BaseUrl) };
        using var content = new StringContent("""{"model":"echo","stream":true,"messages":[{"role":"user","content":"count my first chunk"}]}""", Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("/v1/chat/completions", content);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.EndsWith("data: [DONE]\n\n", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var text = "";
        await Eventually.UntilAsync(
            async () =>
            {
                text = await http.GetStringAsync("/metrics");
                return text.Contains("gen_ai_client_operation_time_to_first_chunk_seconds_count", StringComparison.Ordinal)
                    && text.Contains("gen_ai_client_token_usage", StringComparison.Ordinal);
            },
            "the request's metrics to be exported",
            TimeSpan.FromSeconds(10),
            () => text);

        Assert.Contains("gen_ai_client_operation_duration_seconds_count", text, StringComparison.Ordinal);
        Assert.Contains("gen_ai_token_type=\"output\"", text, StringComparison.Ordinal);
        Assert.Contains("gen_ai_token_type=\"input\"", text, StringComparison.Ordinal);
        Assert.Contains("gen_ai_operation_name=\"chat\"", text, StringComparison.Ordinal);
    }
}
