using System.Text.Json.Serialization;

namespace Cluster.Relay.Accounting;

/// <summary>How spooled records are written: the usage record as JSON, one per line.</summary>
[JsonSerializable(typeof(UsageRecord))]
internal sealed partial class SpoolJson : JsonSerializerContext;
