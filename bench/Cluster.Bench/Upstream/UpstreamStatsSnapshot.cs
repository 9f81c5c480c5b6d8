using System.Text.Json.Serialization;

namespace Cluster.Bench.Upstream;

/// <summary>What <c>GET /_stats</c> returns.</summary>
internal sealed record UpstreamStatsSnapshot(
    [property: JsonPropertyName("requests")] long Requests,
    [property: JsonPropertyName("chat_completions")] long ChatCompletions,
    [property: JsonPropertyName("completions")] long Completions,
    [property: JsonPropertyName("embeddings")] long Embeddings,
    [property: JsonPropertyName("models")] long Models,
    [property: JsonPropertyName("in_flight")] long InFlight,
    [property: JsonPropertyName("peak_in_flight")] long PeakInFlight);
