using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using Xunit.Sdk;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Cluster.Tests.Contract;

/// <summary>
/// Validates JSON documents against the component schemas of the official OpenAI OpenAPI
/// description (<c>Contract/Reference/openai-openapi.yaml</c>, vendored).
/// </summary>
/// <remarks>
/// The spec is read once (lazily, thread-safe), its <c>components.schemas</c> are rewritten
/// into a single JSON Schema 2020-12 document (<c>$defs</c>), and one small schema per
/// requested component (a <c>$ref</c> into that document) is built and cached.
/// OpenAPI-isms handled by the rewrite:
/// <list type="bullet">
/// <item><c>nullable: true</c> means "or null" (also for <c>enum</c> and <c>$ref</c> siblings).</item>
/// <item>OpenAPI 3.0 boolean <c>exclusiveMinimum</c>/<c>exclusiveMaximum</c> become the numeric form.</item>
/// <item><c>$recursiveRef: "#"</c> (2019-09) refers to the enclosing component.</item>
/// <item>Annotations, <c>format</c> (not asserted), <c>discriminator</c>, <c>example</c>, <c>x-*</c>
/// and misspelt keywords are dropped; they do not constrain instances.</item>
/// <item>Unquoted YAML dates stay strings.</item>
/// </list>
/// </remarks>
public static class OpenApiContract
{
    /// <summary>
    /// Pseudo component (not in the spec): a streamed <c>/completions</c> chunk. It has the
    /// <c>CreateCompletionResponse</c> shape, except that <c>choices[].finish_reason</c> may be null.
    /// </summary>
    public const string CompletionStreamComponent = "CreateCompletionStreamResponse";

    private const int MaxJsonInFailureMessage = 20_000;

    private static readonly Lazy<ContractSpec> Spec = new(ContractSpec.Load, LazyThreadSafetyMode.ExecutionAndPublication);

    private static readonly EvaluationOptions FlagOptions = new() { OutputFormat = OutputFormat.Flag };

    private static readonly EvaluationOptions DetailedOptions = new() { OutputFormat = OutputFormat.Hierarchical };

    /// <summary>
    /// Validates <paramref name="json"/> against the component schema <paramref name="componentName"/>
    /// (e.g. <c>CreateChatCompletionResponse</c>, or <see cref="CompletionStreamComponent"/>).
    /// </summary>
    /// <returns>The validation errors, each "JSON path: message [schema location]"; empty when valid.</returns>
    /// <exception cref="ArgumentException">The component does not exist in the spec.</exception>
    public static IReadOnlyList<string> Validate(string componentName, string json)
    {
        ArgumentNullException.ThrowIfNull(componentName);
        ArgumentNullException.ThrowIfNull(json);

        var schema = Spec.Value.GetSchema(componentName);

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            return [$"$: not valid JSON: {ex.Message}"];
        }

        using (document)
        {
            var root = document.RootElement;
            if (schema.Evaluate(root, FlagOptions).IsValid)
            {
                return [];
            }

            var errors = ErrorReport.Collect(schema.Evaluate(root, DetailedOptions), root);
            if (errors.Count == 0)
            {
                errors.Add($"$: the document does not conform to {componentName} (the validator reported no details)");
            }

            return errors;
        }
    }

    /// <summary>
    /// Fails the current test (with every error and the JSON) unless <paramref name="json"/>
    /// conforms to the component schema <paramref name="componentName"/>.
    /// </summary>
    public static void AssertValid(string componentName, string json)
    {
        var errors = Validate(componentName, json);
        if (errors.Count == 0)
        {
            return;
        }

        var message = new StringBuilder()
            .Append("JSON does not conform to OpenAPI component '").Append(componentName).Append("' (")
            .Append(errors.Count).Append(errors.Count == 1 ? " error" : " errors").AppendLine("):");
        foreach (var error in errors)
        {
            message.Append("  - ").AppendLine(error);
        }

        message.AppendLine("JSON:");
        message.Append(json.Length <= MaxJsonInFailureMessage
            ? json
            : string.Concat(json.AsSpan(0, MaxJsonInFailureMessage), $"... ({json.Length - MaxJsonInFailureMessage} more characters)"));
        throw new XunitException(message.ToString());
    }

    /// <summary>The loaded spec: one JSON Schema document holding every component, plus per-component entry schemas.</summary>
    private sealed class ContractSpec
    {
        private const string SpecRelativePath = "Contract/Reference/openai-openapi.yaml";
        private const string DocumentUri = "https://openai-openapi.contract.invalid/components.json";
        private const string ComponentRefPrefix = "#/components/schemas/";

        private readonly BuildOptions buildOptions;
        private readonly IReadOnlySet<string> componentNames;
        private readonly ConcurrentDictionary<string, Lazy<JsonSchema>> schemas = new(StringComparer.Ordinal);
        private readonly Lock buildLock = new();

        private ContractSpec(BuildOptions buildOptions, IReadOnlySet<string> componentNames)
        {
            this.buildOptions = buildOptions;
            this.componentNames = componentNames;
        }

        public static ContractSpec Load()
        {
            var path = LocateSpecFile();
            try
            {
                var openApi = YamlToJson.Parse(File.ReadAllText(path));

                if (openApi?["components"]?["schemas"] is not JsonObject components)
                {
                    throw new InvalidOperationException("the document has no components.schemas mapping");
                }

                AddCompletionStreamComponent(components);

                var defs = new JsonObject();
                foreach (var (name, schema) in components)
                {
                    defs[name] = new SchemaRewriter(name, components).Rewrite(schema);
                }

                var document = new JsonObject
                {
                    ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
                    ["$id"] = DocumentUri,
                    ["$defs"] = defs,
                };

                var options = new BuildOptions { SchemaRegistry = new SchemaRegistry(), Dialect = Dialect.Draft202012 };
                using var json = JsonDocument.Parse(document.ToJsonString());
                JsonSchema.Build(json.RootElement.Clone(), options, new Uri(DocumentUri));

                return new ContractSpec(options, components.Select(c => c.Key).ToHashSet(StringComparer.Ordinal));
            }
            catch (Exception ex)
            {
                throw new InvalidOperationException($"Could not load the OpenAI OpenAPI spec '{path}': {ex.Message}", ex);
            }
        }

        public JsonSchema GetSchema(string componentName)
        {
            if (!componentNames.Contains(componentName))
            {
                throw new ArgumentException(
                    $"'{componentName}' is not a component schema of the OpenAI OpenAPI spec (nor the pseudo component '{CompletionStreamComponent}').",
                    nameof(componentName));
            }

            return schemas.GetOrAdd(componentName, name => new Lazy<JsonSchema>(() => Build(name))).Value;
        }

        private JsonSchema Build(string componentName)
        {
            var entry = new JsonObject
            {
                ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
                ["$ref"] = $"{DocumentUri}#/$defs/{Uri.EscapeDataString(componentName)}",
            };
            using var json = JsonDocument.Parse(entry.ToJsonString());
            var baseUri = new Uri($"https://openai-openapi.contract.invalid/entry/{Uri.EscapeDataString(componentName)}.json");

            // The shared registry is mutated by a build; builds are rare (once per component) so serialise them.
            lock (buildLock)
            {
                return JsonSchema.Build(json.RootElement.Clone(), buildOptions, baseUri);
            }
        }

        private static string LocateSpecFile()
        {
            // Copied beside the test assembly by the project file (see Contract/Reference/README.md).
            var path = Path.Combine(AppContext.BaseDirectory, SpecRelativePath);
            return File.Exists(path)
                ? path
                : throw new FileNotFoundException($"The OpenAI OpenAPI spec was not found at '{SpecRelativePath}' beside the test assembly; it is part of the repository (tests/Cluster.Tests/Contract/Reference).");
        }

        /// <summary>
        /// The spec has no schema for streamed /completions chunks: they are CreateCompletionResponse
        /// objects whose choices[].finish_reason is null until the last chunk.
        /// </summary>
        private static void AddCompletionStreamComponent(JsonObject components)
        {
            if (components.ContainsKey(CompletionStreamComponent))
            {
                return;
            }

            if (components["CreateCompletionResponse"]?.DeepClone() is not JsonObject chunk
                || chunk["properties"]?["choices"]?["items"]?["properties"]?["finish_reason"] is not JsonObject finishReason)
            {
                throw new InvalidOperationException(
                    $"cannot derive {CompletionStreamComponent}: CreateCompletionResponse.properties.choices.items.properties.finish_reason not found");
            }

            finishReason["nullable"] = true;
            components[CompletionStreamComponent] = chunk;
        }

        /// <summary>Turns one OpenAPI 3.x schema object into a JSON Schema 2020-12 schema living under <c>$defs</c>.</summary>
        private sealed class SchemaRewriter(string componentName, JsonObject components)
        {
            private static readonly HashSet<string> SchemaKeywords =
            [
                "items", "not", "additionalProperties", "if", "then", "else", "contains", "propertyNames",
                "unevaluatedProperties", "unevaluatedItems", "contentSchema",
            ];

            private static readonly HashSet<string> SchemaArrayKeywords = ["allOf", "anyOf", "oneOf", "prefixItems"];

            private static readonly HashSet<string> SchemaMapKeywords = ["properties", "patternProperties", "dependentSchemas"];

            /// <summary>Assertion keywords copied as they are. Annotations (and format, which is not asserted) are dropped.</summary>
            private static readonly HashSet<string> AssertionKeywords =
            [
                "type", "enum", "const", "multipleOf", "maximum", "minimum", "maxLength", "minLength", "pattern",
                "maxItems", "minItems", "uniqueItems", "maxContains", "minContains", "maxProperties", "minProperties",
                "required", "dependentRequired",
            ];

            private static readonly HashSet<string> Combinators = ["$ref", "allOf", "anyOf", "oneOf", "not", "const", "if"];

            public JsonNode Rewrite(JsonNode? node) => node switch
            {
                JsonObject schema => RewriteObject(schema),
                JsonValue value when value.GetValueKind() is JsonValueKind.True or JsonValueKind.False => value.DeepClone(),
                _ => throw new InvalidOperationException($"component {componentName}: a schema must be an object or a boolean, found {node?.ToJsonString() ?? "null"}"),
            };

            private JsonObject RewriteObject(JsonObject schema)
            {
                var result = new JsonObject();
                foreach (var (keyword, value) in schema)
                {
                    if (SchemaKeywords.Contains(keyword))
                    {
                        result[keyword] = Rewrite(value);
                    }
                    else if (SchemaArrayKeywords.Contains(keyword))
                    {
                        var array = value as JsonArray ?? throw Invalid(keyword, value);
                        result[keyword] = new JsonArray([.. array.Select(Rewrite)]);
                    }
                    else if (SchemaMapKeywords.Contains(keyword))
                    {
                        var map = value as JsonObject ?? throw Invalid(keyword, value);
                        var rewritten = new JsonObject();
                        foreach (var (name, subschema) in map)
                        {
                            rewritten[name] = Rewrite(subschema);
                        }

                        result[keyword] = rewritten;
                    }
                    else if (keyword == "$ref")
                    {
                        result["$ref"] = RewriteRef(value);
                    }
                    else if (keyword == "$recursiveRef")
                    {
                        // 2019-09 keyword; the spec uses "#" meaning "this (recursive) component".
                        if (value?.GetValueKind() != JsonValueKind.String || value.GetValue<string>() != "#")
                        {
                            throw Invalid(keyword, value);
                        }

                        result["$ref"] = DefRef(componentName);
                    }
                    else if (AssertionKeywords.Contains(keyword))
                    {
                        result[keyword] = value?.DeepClone();
                    }
                }

                ApplyExclusiveBound(schema, result, "exclusiveMinimum", "minimum");
                ApplyExclusiveBound(schema, result, "exclusiveMaximum", "maximum");

                return schema["nullable"]?.GetValueKind() == JsonValueKind.True ? MakeNullable(result) : result;
            }

            private string RewriteRef(JsonNode? value)
            {
                var reference = value?.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : throw Invalid("$ref", value);
                if (!reference.StartsWith(ComponentRefPrefix, StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"component {componentName}: unsupported $ref '{reference}'");
                }

                var target = Uri.UnescapeDataString(reference[ComponentRefPrefix.Length..]).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
                if (!components.ContainsKey(target))
                {
                    throw new InvalidOperationException($"component {componentName}: $ref '{reference}' points to a missing component");
                }

                return DefRef(target);
            }

            private static string DefRef(string name) =>
                "#/$defs/" + Uri.EscapeDataString(name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal));

            /// <summary>OpenAPI 3.0 <c>exclusiveMinimum: true</c> qualifies <c>minimum</c>; 2020-12 wants the bound itself.</summary>
            private void ApplyExclusiveBound(JsonObject source, JsonObject result, string exclusiveKeyword, string boundKeyword)
            {
                var exclusive = source[exclusiveKeyword];
                switch (exclusive?.GetValueKind())
                {
                    case null:
                        return;
                    case JsonValueKind.Number:
                        result[exclusiveKeyword] = exclusive.DeepClone();
                        return;
                    case JsonValueKind.True:
                        if (result[boundKeyword] is { } bound)
                        {
                            result.Remove(boundKeyword);
                            result[exclusiveKeyword] = bound;
                        }

                        return;
                    case JsonValueKind.False:
                        return;
                    default:
                        throw Invalid(exclusiveKeyword, exclusive);
                }
            }

            /// <summary>"nullable: true" = "or null": widen type (and enum) in place when that is exact, otherwise wrap.</summary>
            private static JsonObject MakeNullable(JsonObject schema)
            {
                var canWiden = schema["type"] is { } type
                    && type.GetValueKind() is JsonValueKind.String or JsonValueKind.Array
                    && !schema.Any(p => Combinators.Contains(p.Key));
                if (!canWiden)
                {
                    return new JsonObject { ["anyOf"] = new JsonArray(schema, new JsonObject { ["type"] = "null" }) };
                }

                if (schema["type"] is not JsonArray types)
                {
                    types = new JsonArray(schema["type"]!.DeepClone());
                    schema["type"] = types;
                }

                if (!types.Any(t => t?.GetValueKind() == JsonValueKind.String && t.GetValue<string>() == "null"))
                {
                    types.Add("null");
                }

                if (schema["enum"] is JsonArray values && !values.Any(v => v is null))
                {
                    values.Add(null);
                }

                return schema;
            }

            private InvalidOperationException Invalid(string keyword, JsonNode? value) =>
                new($"component {componentName}: unsupported '{keyword}' value {value?.ToJsonString() ?? "null"}");
        }
    }

    /// <summary>Reads a YAML 1.2 document (core schema) into a <see cref="JsonNode"/> tree.</summary>
    private static class YamlToJson
    {
        private const string YamlTagPrefix = "tag:yaml.org,2002:";

        private static readonly Regex DecimalIntegerRegex = new("^[-+]?[0-9]+$", RegexOptions.CultureInvariant | RegexOptions.Compiled);
        private static readonly Regex HexIntegerRegex = new("^0x[0-9a-fA-F]{1,15}$", RegexOptions.CultureInvariant | RegexOptions.Compiled);
        private static readonly Regex OctalIntegerRegex = new("^0o[0-7]{1,20}$", RegexOptions.CultureInvariant | RegexOptions.Compiled);
        private static readonly Regex FloatRegex = new(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$", RegexOptions.CultureInvariant | RegexOptions.Compiled);

        /// <summary>A block scalar header: "key: |", "- >-", "key: |+2" and the like.</summary>
        private static readonly Regex BlockScalarHeaderRegex = new(@"(^|[\s:-])[|>][1-9+-]{0,2}[ \t]*$", RegexOptions.CultureInvariant | RegexOptions.Compiled);

        public static JsonNode? Parse(string yaml)
        {
            var parser = new Parser(new StringReader(BlankLeadingBlockScalarLines(yaml)));
            parser.Consume<StreamStart>();
            if (!parser.TryConsume<DocumentStart>(out _))
            {
                throw new InvalidOperationException("the YAML stream contains no document");
            }

            var root = ReadNode(parser, new Dictionary<string, JsonNode?>(StringComparer.Ordinal));
            parser.Consume<DocumentEnd>();
            return root;
        }

        /// <summary>
        /// YamlDotNet rejects a block scalar whose leading empty lines hold more spaces than its
        /// indentation when there is no content line to compare with (the spec has "example: |+"
        /// followed only by a whitespace line). Leading empty lines of a block scalar are line
        /// breaks whatever spaces they hold, so they are made truly empty.
        /// </summary>
        private static string BlankLeadingBlockScalarLines(string yaml)
        {
            var lines = yaml.Split('\n');
            var changed = false;
            for (var i = 1; i < lines.Length; i++)
            {
                if (lines[i].Length > 0 && string.IsNullOrWhiteSpace(lines[i]) && BlockScalarHeaderRegex.IsMatch(lines[i - 1]))
                {
                    for (var j = i; j < lines.Length && lines[j].Length > 0 && string.IsNullOrWhiteSpace(lines[j]); j++)
                    {
                        lines[j] = lines[j].EndsWith('\r') ? "\r" : string.Empty;
                    }

                    changed = true;
                }
            }

            return changed ? string.Join('\n', lines) : yaml;
        }

        private static JsonNode? ReadNode(IParser parser, Dictionary<string, JsonNode?> anchors)
        {
            if (parser.TryConsume<AnchorAlias>(out var alias))
            {
                return anchors.TryGetValue(alias.Value.Value, out var target)
                    ? target?.DeepClone()
                    : throw new YamlException(alias.Start, alias.End, $"unknown alias *{alias.Value.Value}");
            }

            if (parser.TryConsume<Scalar>(out var scalar))
            {
                return Remember(scalar, ConvertScalar(scalar), anchors);
            }

            if (parser.TryConsume<SequenceStart>(out var sequenceStart))
            {
                var array = new JsonArray();
                while (!parser.TryConsume<SequenceEnd>(out _))
                {
                    array.Add(ReadNode(parser, anchors));
                }

                return Remember(sequenceStart, array, anchors);
            }

            if (parser.TryConsume<MappingStart>(out var mappingStart))
            {
                var map = new JsonObject();
                while (!parser.TryConsume<MappingEnd>(out _))
                {
                    var key = parser.Current as Scalar
                        ?? throw new YamlException(parser.Current!.Start, parser.Current.End, "only scalar mapping keys are supported");
                    parser.MoveNext();
                    map[key.Value] = ReadNode(parser, anchors);
                }

                return Remember(mappingStart, map, anchors);
            }

            var current = parser.Current!;
            throw new YamlException(current.Start, current.End, $"unexpected YAML event {current.GetType().Name}");
        }

        private static JsonNode? Remember(NodeEvent nodeEvent, JsonNode? node, Dictionary<string, JsonNode?> anchors)
        {
            if (!nodeEvent.Anchor.IsEmpty)
            {
                anchors[nodeEvent.Anchor.Value] = node;
            }

            return node;
        }

        private static JsonNode? ConvertScalar(Scalar scalar)
        {
            var text = scalar.Value;
            if (!scalar.Tag.IsEmpty)
            {
                return scalar.Tag.Value switch
                {
                    YamlTagPrefix + "null" => null,
                    YamlTagPrefix + "bool" or YamlTagPrefix + "int" or YamlTagPrefix + "float" => ResolvePlain(text),
                    _ => JsonValue.Create(text),
                };
            }

            // Quoted and block scalars are strings; only plain scalars are resolved (YAML 1.2 core schema).
            return scalar.Style == ScalarStyle.Plain ? ResolvePlain(text) : JsonValue.Create(text);
        }

        /// <summary>
        /// YAML 1.2 core schema resolution. Anything else — notably unquoted dates such as
        /// 2024-10-01, which YAML 1.1 would turn into timestamps — stays a string.
        /// </summary>
        private static JsonNode? ResolvePlain(string text)
        {
            switch (text)
            {
                case "" or "~" or "null" or "Null" or "NULL":
                    return null;
                case "true" or "True" or "TRUE":
                    return JsonValue.Create(true);
                case "false" or "False" or "FALSE":
                    return JsonValue.Create(false);
            }

            if (!char.IsAsciiDigit(text[0]) && text[0] is not ('-' or '+' or '.'))
            {
                return JsonValue.Create(text);
            }

            if (DecimalIntegerRegex.IsMatch(text))
            {
                return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer)
                    ? JsonValue.Create(integer)
                    : JsonValue.Create(decimal.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
            }

            if (text.StartsWith("0x", StringComparison.Ordinal) && HexIntegerRegex.IsMatch(text))
            {
                return JsonValue.Create(Convert.ToInt64(text[2..], 16));
            }

            if (text.StartsWith("0o", StringComparison.Ordinal) && OctalIntegerRegex.IsMatch(text))
            {
                return JsonValue.Create(Convert.ToInt64(text[2..], 8));
            }

            if (FloatRegex.IsMatch(text))
            {
                return decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                    ? JsonValue.Create(number)
                    : JsonValue.Create(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));
            }

            // .inf / .nan have no JSON representation; keep them (and everything else) as strings.
            return JsonValue.Create(text);
        }
    }

    /// <summary>Turns hierarchical evaluation results into readable "path: message" lines.</summary>
    private static class ErrorReport
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
}
