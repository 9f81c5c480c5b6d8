using System.Text.Json.Serialization;

namespace Cluster.Bench.Upstream;

[JsonSerializable(typeof(UpstreamStatsSnapshot))]
internal sealed partial class UpstreamJsonContext : JsonSerializerContext;
