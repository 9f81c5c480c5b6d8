using System.Globalization;
using System.Text;
using System.Text.Json;
using Json.Schema;

namespace Cluster.Tests.Contract;

/// <summary>Turns hierarchical evaluation results into readable "path: message" lines.</summary>
internal static class SchemaErrorReport
{
    private const int TypeMismatchScore = 2;
    private const int DiscriminatorMismatchScore = 1;

    public static List<string> Collect(EvaluationResults results, JsonElement root)
    {
        var errors = new List<string>();
        Collect(results, root, errors, string.Empty);
        return errors;
    }

    private static void Collect(EvaluationResults node, JsonElement root, List<string> sink, string prefix)
    {
        if (node.IsValid)
        {
            return;
        }

        var before = sink.Count;
        if (node.Errors is { Count: > 0 } errors)
        {
            foreach (var (keyword, message) in errors)
            {
                sink.Add(prefix + Describe(node, keyword, message, root));
            }
        }

        foreach (var (keyword, alternatives) in Alternatives(node))
        {
            ReportAlternatives(node, keyword, alternatives, root, sink, prefix);
        }

        foreach (var child in node.Details ?? [])
        {
            if (!child.IsValid && AlternativeOf(node, child) is null)
            {
                Collect(child, root, sink, prefix);
            }
        }

        if (sink.Count == before)
        {
            sink.Add($"{prefix}{JsonPath(node.InstanceLocation.ToString(), root)}: does not match the schema [{SchemaLocation(node)}]");
        }
    }

    private static void ReportAlternatives(
        EvaluationResults node, string keyword, List<(int Index, EvaluationResults Result)> alternatives,
        JsonElement root, List<string> sink, string prefix)
    {
        var path = JsonPath(node.InstanceLocation.ToString(), root);
        var matching = alternatives.Where(a => a.Result.IsValid).Select(a => a.Index).ToList();
        if (matching.Count > 1 && keyword == "oneOf")
        {
            sink.Add($"{prefix}{path}: matches {matching.Count} alternatives of oneOf ({string.Join(", ", matching)}) but must match exactly one [{SchemaLocation(node)}/oneOf]");
            return;
        }

        if (matching.Count > 0)
        {
            return;
        }

        // Alternatives the value obviously was not meant for (wrong JSON type, or a discriminator-like
        // enum/const mismatch on a direct property) are left out when a closer alternative exists.
        var location = node.InstanceLocation.ToString();
        var scored = alternatives.Select(a => (a.Index, a.Result, Score: Score(a.Result, location))).ToList();
        var best = scored.Min(a => a.Score);
        var closest = scored.Where(a => a.Score == best).ToList();

        if (closest.Count == 1)
        {
            Collect(closest[0].Result, root, sink, prefix);
            return;
        }

        sink.Add($"{prefix}{path}: matches none of the {alternatives.Count} alternatives of {keyword} [{SchemaLocation(node)}/{keyword}]");
        foreach (var alternative in closest)
        {
            Collect(alternative.Result, root, sink, $"{prefix}  {keyword}[{alternative.Index}]: ");
        }

        if (closest.Count < alternatives.Count)
        {
            sink.Add($"{prefix}  ({alternatives.Count - closest.Count} alternatives with a different type or discriminator value not shown)");
        }
    }

    /// <summary>How clearly an alternative was not meant for the value at <paramref name="location"/>; 0 = a real candidate.</summary>
    private static int Score(EvaluationResults node, string location)
    {
        if (node.IsValid)
        {
            return 0;
        }

        var score = 0;
        if (node.Errors is { Count: > 0 } errors)
        {
            var instance = node.InstanceLocation.ToString();
            foreach (var keyword in errors.Keys)
            {
                if (keyword == "type" && instance == location)
                {
                    score = Math.Max(score, TypeMismatchScore);
                }
                else if (keyword is "enum" or "const" && IsDirectChild(instance, location))
                {
                    score = Math.Max(score, DiscriminatorMismatchScore);
                }
            }
        }

        foreach (var (_, alternatives) in Alternatives(node))
        {
            if (!alternatives.Any(a => a.Result.IsValid))
            {
                score = Math.Max(score, alternatives.Min(a => Score(a.Result, location)));
            }
        }

        foreach (var child in node.Details ?? [])
        {
            if (!child.IsValid && AlternativeOf(node, child) is null)
            {
                score = Math.Max(score, Score(child, location));
            }
        }

        return score;
    }

    private static bool IsDirectChild(string instance, string location) =>
        instance.Length > location.Length + 1
        && instance.StartsWith(location + "/", StringComparison.Ordinal)
        && instance.IndexOf('/', location.Length + 1) < 0;

    private static IEnumerable<(string Keyword, List<(int Index, EvaluationResults Result)> Alternatives)> Alternatives(EvaluationResults node) =>
        (node.Details ?? [])
            .Select(child => (Child: child, Alternative: AlternativeOf(node, child)))
            .Where(x => x.Alternative is not null)
            .GroupBy(x => x.Alternative!.Value.Keyword, StringComparer.Ordinal)
            .Select(g => (g.Key, g.Select(x => (x.Alternative!.Value.Index, x.Child)).ToList()));

    /// <summary>Whether <paramref name="child"/> is branch i of an anyOf/oneOf of <paramref name="node"/>.</summary>
    private static (string Keyword, int Index)? AlternativeOf(EvaluationResults node, EvaluationResults child)
    {
        var parent = node.EvaluationPath.ToString();
        var path = child.EvaluationPath.ToString();
        if (path.Length <= parent.Length + 1 || !path.StartsWith(parent + "/", StringComparison.Ordinal))
        {
            return null;
        }

        var rest = path[(parent.Length + 1)..].Split('/');
        return rest.Length == 2 && rest[0] is "anyOf" or "oneOf" && int.TryParse(rest[1], CultureInfo.InvariantCulture, out var index)
            ? (rest[0], index)
            : null;
    }

    private static string Describe(EvaluationResults node, string keyword, string message, JsonElement root)
    {
        var instance = node.InstanceLocation.ToString();
        var path = JsonPath(instance, root);
        var evaluationPath = node.EvaluationPath.ToString();
        if (keyword.Length == 0 && evaluationPath.EndsWith("/additionalProperties", StringComparison.Ordinal))
        {
            return $"{path}: property is not allowed (additionalProperties: false) [{SchemaLocation(node)}]";
        }

        var value = ScalarValue(instance, root);
        var shownKeyword = keyword.Length == 0 ? "false schema" : keyword;
        return $"{path}: {message}{(value is null ? string.Empty : $" (value: {value})")} [{SchemaLocation(node)} {shownKeyword}]";
    }

    /// <summary>
    /// The schema location as "Component/pointer into the component", built from the evaluation path
    /// after the last $ref: JsonSchema.Net 8's own schema locations append an instance segment below
    /// "items", "additionalProperties" and "propertyNames".
    /// </summary>
    private static string SchemaLocation(EvaluationResults node)
    {
        const string refSegment = "/$ref";
        var path = node.EvaluationPath.ToString();
        var refEnd = path.EndsWith(refSegment, StringComparison.Ordinal)
            ? path.Length
            : path.LastIndexOf(refSegment + "/", StringComparison.Ordinal) is var i and >= 0 ? i + refSegment.Length : -1;
        var anchor = node;
        if (refEnd >= 0)
        {
            var refPath = path[..refEnd];
            while (anchor is not null && anchor.EvaluationPath.ToString() != refPath)
            {
                anchor = anchor.Parent;
            }
        }

        if (anchor is null || refEnd < 0)
        {
            return node.SchemaLocation.ToString();
        }

        var fragment = Uri.UnescapeDataString(anchor.SchemaLocation.Fragment);
        const string defs = "#/$defs/";
        return fragment.StartsWith(defs, StringComparison.Ordinal)
            ? fragment[defs.Length..] + UndoubleItems(path[refEnd..])
            : node.SchemaLocation.ToString();
    }

    /// <summary>JsonSchema.Net 8 reports the evaluation path of an "items" subschema as ".../items/items".</summary>
    private static string UndoubleItems(string evaluationPath)
    {
        var segments = evaluationPath.Split('/');
        var result = new List<string>(segments.Length);
        for (var i = 0; i < segments.Length; i++)
        {
            result.Add(segments[i]);
            if (segments[i] == "items" && i + 1 < segments.Length && segments[i + 1] == "items")
            {
                i++;
            }
        }

        return string.Join('/', result);
    }

    /// <summary>Converts a JSON pointer into a JSONPath-like "$.a[0].b", using the document to tell indexes from names.</summary>
    private static string JsonPath(string pointer, JsonElement root)
    {
        var path = new StringBuilder("$");
        var current = (JsonElement?)root;
        foreach (var segment in Segments(pointer))
        {
            if (current is { ValueKind: JsonValueKind.Array } array && int.TryParse(segment, CultureInfo.InvariantCulture, out var index))
            {
                path.Append('[').Append(index).Append(']');
                current = index < array.GetArrayLength() ? array[index] : null;
                continue;
            }

            if (IsIdentifier(segment))
            {
                path.Append('.').Append(segment);
            }
            else
            {
                path.Append("['").Append(segment.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal)).Append("']");
            }

            current = current is { ValueKind: JsonValueKind.Object } obj && obj.TryGetProperty(segment, out var property) ? property : null;
        }

        return path.ToString();
    }

    private static string? ScalarValue(string pointer, JsonElement root)
    {
        var current = root;
        foreach (var segment in Segments(pointer))
        {
            if (current.ValueKind == JsonValueKind.Array && int.TryParse(segment, CultureInfo.InvariantCulture, out var index) && index < current.GetArrayLength())
            {
                current = current[index];
            }
            else if (current.ValueKind == JsonValueKind.Object && current.TryGetProperty(segment, out var property))
            {
                current = property;
            }
            else
            {
                return null;
            }
        }

        if (current.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
        {
            return null;
        }

        var text = current.GetRawText();
        return text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 77), "...");
    }

    private static IEnumerable<string> Segments(string pointer) =>
        pointer.Length == 0
            ? []
            : pointer[1..].Split('/').Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal));

    private static bool IsIdentifier(string segment) =>
        segment.Length > 0
        && (char.IsAsciiLetter(segment[0]) || segment[0] is '_' or '$')
        && segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '$');
}
