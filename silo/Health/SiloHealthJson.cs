using System.Text.Json.Serialization;

namespace Cluster.Silo.Health;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SiloHealthStatus))]
internal sealed partial class SiloHealthJson : JsonSerializerContext;
