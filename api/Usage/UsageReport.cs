using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Cluster.Grains.Usage;

namespace Cluster.Api.Usage;

/// <summary>A usage query's answer: totals, and one row per group; the rows add up to the totals.</summary>
internal sealed record UsageReport(string Tenant, DateOnly From, DateOnly To, UsageGroupBy GroupBy, UsageTotals Totals, SortedDictionary<string, UsageTotals> Groups)
{
    public byte[] ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer))
        {
            var group = GroupBy.ToString().ToLowerInvariant();
            json.WriteStartObject();
            json.WriteString("object", "usage");
            json.WriteString("tenant", Tenant);
            json.WriteString("from", From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            json.WriteString("to", To.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            json.WriteString("group_by", group);
            json.WritePropertyName("totals");
            Write(json, null, null, Totals);
            json.WriteStartArray("data");
            foreach (var (name, totals) in Groups)
            {
                Write(json, group, name, totals);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void Write(Utf8JsonWriter json, string? group, string? name, UsageTotals totals)
    {
        json.WriteStartObject();
        if (group is not null)
        {
            json.WriteString(group, name);
        }

        json.WriteNumber("requests", totals.Requests);
        json.WriteNumber("prompt_tokens", totals.PromptTokens);
        json.WriteNumber("completion_tokens", totals.CompletionTokens);
        json.WriteNumber("total_tokens", totals.TotalTokens);
        json.WriteNumber("cost_usd", totals.CostUsd);
        json.WriteEndObject();
    }
}
