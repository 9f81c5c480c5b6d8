using System.Buffers;
using System.Globalization;
using System.Text;
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

    /// <summary>The same rows as <see cref="ToJson"/>, as CSV (RFC 4180) with a header line.</summary>
    public byte[] ToCsv()
    {
        var csv = new StringBuilder();
        csv.Append(GroupBy.ToString().ToLowerInvariant()).Append(",requests,prompt_tokens,completion_tokens,total_tokens,cost_usd\r\n");
        foreach (var (name, totals) in Groups)
        {
            csv.Append(Field(name)).Append(',')
                .Append(totals.Requests.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(totals.PromptTokens.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(totals.CompletionTokens.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(totals.TotalTokens.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(totals.CostUsd.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        }

        return Encoding.UTF8.GetBytes(csv.ToString());
    }

    private static string Field(string value)
    {
        // Quoted when needed; a leading formula character is defused so a spreadsheet shows it as text.
        var text = value.Length > 0 && value[0] is '=' or '+' or '-' or '@' ? "'" + value : value;
        return text.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;
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
