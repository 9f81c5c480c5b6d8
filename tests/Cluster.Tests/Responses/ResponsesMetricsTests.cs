using System.Text.Json.Nodes;
using Cluster.Tests.Support;

namespace Cluster.Tests.Responses;

/// <summary>The front-end's metrics tell a Responses turn from a chat completion (label <c>api</c>).</summary>
[Collection(ResponsesFixture.Name)]
public sealed class ResponsesMetricsTests(ResponsesFixture fixture)
{
    [Fact]
    public async Task Metrics_AfterAStreamedResponsesTurn_LabelledApiResponsesWithOperationChat()
    {
        var turn = await fixture.PostAsync("/v1/responses", new JsonObject { ["model"] = ResponsesFixture.Model, ["input"] = GatewayFixture.NewMarker(), ["stream"] = true });
        Assert.Equal(System.Net.HttpStatusCode.OK, turn.Status);

        var lines = Array.Empty<string>();
        await Eventually.UntilAsync(
            async () =>
            {
                lines = (await fixture.Http.GetStringAsync(fixture.BaseUrl + "/metrics")).Split('\n');
                return lines.Any(l => l.StartsWith("gen_ai_client_operation_time_to_first_chunk_seconds_count", StringComparison.Ordinal) && l.Contains("api=\"responses\"", StringComparison.Ordinal));
            },
            "the turn's metrics to be exported",
            TimeSpan.FromSeconds(10),
            () => string.Join('\n', lines));

        var duration = lines.Where(l => l.StartsWith("gen_ai_client_operation_duration_seconds_count", StringComparison.Ordinal) && l.Contains("api=\"responses\"", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(duration);
        Assert.All(duration, l => Assert.Contains("gen_ai_operation_name=\"chat\"", l, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("gen_ai_client_token_usage", StringComparison.Ordinal) && l.Contains("api=\"responses\"", StringComparison.Ordinal));
    }
}
