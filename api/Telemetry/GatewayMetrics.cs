using Cluster.Relay.Telemetry;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Cluster.Grains.Completions;

namespace Cluster.Api.Telemetry;

/// <summary>
/// Request metrics named after the OpenTelemetry <c>gen_ai</c> client conventions:
/// <c>gen_ai.client.operation.duration</c> and <c>gen_ai.client.token.usage</c>, each also labelled
/// with the <c>api</c> the request came in by (<see cref="GenAiSpans.ApiName"/>), so Responses turns
/// (operation <c>chat</c>) are told apart from chat completions.
/// </summary>
internal sealed class GatewayMetrics : IDisposable
{
    public const string MeterName = "Cluster.Gateway";
    private readonly Meter _meter;
    private readonly Histogram<double> _firstChunk;
    private readonly Histogram<double> _duration;
    private readonly Histogram<long> _tokens;

    public GatewayMetrics(IMeterFactory meters)
    {
        _meter = meters.Create(MeterName);
        _duration = _meter.CreateHistogram<double>("gen_ai.client.operation.duration", unit: "s", description: "Duration of requests through the gateway.");
        _tokens = _meter.CreateHistogram<long>("gen_ai.client.token.usage", unit: "{token}", description: "Tokens used per request.");
        _firstChunk = _meter.CreateHistogram<double>("gen_ai.client.operation.time_to_first_chunk", unit: "s", description: "Time from a streamed request's arrival to its first chunk from the backend.");
    }

    /// <summary>A streamed request's time to its first chunk (the backend accepted it and sent its first event).</summary>
    public void RecordFirstChunk(EndpointKind kind, string model, TimeSpan elapsed, string tenant, bool responses = false) =>
        _firstChunk.Record(elapsed.TotalSeconds, new TagList { { "gen_ai.operation.name", GenAiSpans.OperationName(kind) }, { "api", GenAiSpans.ApiName(kind, responses) }, { "gen_ai.request.model", model }, { "tenant", tenant } });

    /// <param name="responses">The request was a turn of the Responses API (relayed as <paramref name="kind"/>).</param>
    public void RecordRequest(EndpointKind kind, string model, string outcome, TimeSpan elapsed, TokenUsage? usage, string tenant = "default", bool responses = false)
    {
        var operation = GenAiSpans.OperationName(kind);
        var api = GenAiSpans.ApiName(kind, responses);
        var tags = new TagList
        {
            { "gen_ai.operation.name", operation },
            { "api", api },
            { "gen_ai.request.model", model },
            { "tenant", tenant },
            { "outcome", outcome },
        };
        _duration.Record(elapsed.TotalSeconds, tags);
        if (usage is not null)
        {
            var input = new TagList { { "gen_ai.operation.name", operation }, { "api", api }, { "gen_ai.request.model", model }, { "tenant", tenant }, { "gen_ai.token.type", "input" } };
            _tokens.Record(usage.PromptTokens, input);
            var output = new TagList { { "gen_ai.operation.name", operation }, { "api", api }, { "gen_ai.request.model", model }, { "tenant", tenant }, { "gen_ai.token.type", "output" } };
            _tokens.Record(usage.CompletionTokens, output);
        }
    }

    public void Dispose() => _meter.Dispose();
}
