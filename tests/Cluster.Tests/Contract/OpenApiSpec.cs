using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Microsoft.OpenApi;
using Microsoft.OpenApi.Reader;

namespace Cluster.Tests.Contract;

/// <summary>
/// The vendored OpenAI description (<c>Contract/Reference/openai-openapi.yaml</c>), read by
/// Microsoft.OpenApi and its YAML reader, its component schemas written out as OpenAPI 3.1 (that is,
/// JSON Schema 2020-12) into one schema document whose <c>$defs</c> hold every component; one entry
/// schema (a <c>$ref</c> into that document) per requested component is built and cached.
/// </summary>
internal sealed class OpenApiSpec
{
    private const string SpecRelativePath = "Contract/Reference/openai-openapi.yaml";
    private const string DocumentUri = "https://openai-openapi.contract.invalid/components.json";

    private readonly BuildOptions buildOptions;
    private readonly IReadOnlySet<string> componentNames;
    private readonly ConcurrentDictionary<string, Lazy<JsonSchema>> schemas = new(StringComparer.Ordinal);
    private readonly Lock buildLock = new();

    private OpenApiSpec(BuildOptions buildOptions, IReadOnlySet<string> componentNames)
    {
        this.buildOptions = buildOptions;
        this.componentNames = componentNames;
    }

    public static OpenApiSpec Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, SpecRelativePath);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"The OpenAI OpenAPI spec was not found at '{SpecRelativePath}' beside the test assembly; it is part of the repository (tests/Cluster.Tests/Contract/Reference).");
        }

        try
        {
            var settings = new OpenApiReaderSettings();
            settings.AddYamlReader();
            using var stream = new MemoryStream(File.ReadAllBytes(path));
            var read = OpenApiDocument.Load(stream, OpenApiConstants.Yaml, settings);
            var components = read.Document?.Components?.Schemas
                ?? throw new InvalidOperationException(
                    $"the document has no components.schemas ({string.Join("; ", read.Diagnostic?.Errors.Select(e => e.ToString()) ?? [])})");

            OpenApiSpecQuirks.Repair(read.Document);

            var defs = new JsonObject();
            foreach (var (name, schema) in components)
            {
                defs[name] = ToJsonSchema(schema);
            }

            defs[OpenApiContract.CompletionStreamComponent] = CompletionStreamChunk(defs);

            var document = new JsonObject
            {
                ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
                ["$id"] = DocumentUri,
                ["$defs"] = defs,
            };

            var options = new BuildOptions { SchemaRegistry = new SchemaRegistry(), Dialect = Dialect.Draft202012 };
            using var json = JsonDocument.Parse(document.ToJsonString());
            JsonSchema.Build(json.RootElement.Clone(), options, new Uri(DocumentUri));
            return new OpenApiSpec(options, defs.Select(d => d.Key).ToHashSet(StringComparer.Ordinal));
        }
        catch (Exception ex) when (ex is not FileNotFoundException)
        {
            throw new InvalidOperationException($"Could not load the OpenAI OpenAPI spec '{SpecRelativePath}': {ex.Message}", ex);
        }
    }

    public JsonSchema GetSchema(string componentName)
    {
        if (!componentNames.Contains(componentName))
        {
            throw new ArgumentException(
                $"'{componentName}' is not a component schema of the OpenAI OpenAPI spec (nor the pseudo component '{OpenApiContract.CompletionStreamComponent}').",
                nameof(componentName));
        }

        return schemas.GetOrAdd(componentName, name => new Lazy<JsonSchema>(() => Build(name))).Value;
    }

    /// <summary>One component written as OpenAPI 3.1, its component references pointing into <c>$defs</c>.</summary>
    private static JsonNode ToJsonSchema(IOpenApiSchema schema)
    {
        using var text = new StringWriter();
        schema.SerializeAsV31(new OpenApiJsonWriter(text));
        var json = text.ToString().Replace("\"$ref\": \"#/components/schemas/", "\"$ref\": \"#/$defs/", StringComparison.Ordinal);
        return JsonNode.Parse(json) ?? throw new InvalidOperationException("a component serialised as JSON null");
    }

    /// <summary>
    /// The spec has no schema for streamed /completions chunks: they are CreateCompletionResponse
    /// objects whose choices[].finish_reason is null until the last chunk.
    /// </summary>
    private static JsonNode CompletionStreamChunk(JsonObject defs)
    {
        if (defs["CreateCompletionResponse"]?.DeepClone() is not JsonObject chunk
            || chunk["properties"]?["choices"]?["items"]?["properties"]?["finish_reason"] is not JsonObject finishReason
            || finishReason["enum"] is not JsonArray values
            || finishReason["type"]?.GetValue<string>() != "string")
        {
            throw new InvalidOperationException(
                $"cannot derive {OpenApiContract.CompletionStreamComponent}: CreateCompletionResponse.properties.choices.items.properties.finish_reason is not a string enum");
        }

        finishReason["type"] = new JsonArray("string", "null");
        values.Add(null);
        return chunk;
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
}
