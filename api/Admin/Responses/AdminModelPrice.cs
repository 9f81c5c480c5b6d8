using System.Text.Json.Serialization;

namespace Cluster.Api.Admin.Responses;

/// <summary>A model's price in US dollars per million tokens.</summary>
internal sealed record AdminModelPrice(
    [property: JsonPropertyName("input_per_mtok")] decimal InputPerMTok,
    [property: JsonPropertyName("output_per_mtok")] decimal OutputPerMTok,
    [property: JsonPropertyName("cached_input_per_mtok")] decimal? CachedInputPerMTok);
