using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;

namespace Cluster.Tests.Contract;

/// <summary>
/// Repairs, in the loaded model, the places where the OpenAI description (which says OpenAPI 3.1)
/// still uses OpenAPI 3.0 or JSON Schema 2019-09 keywords that Microsoft.OpenApi's 3.1 reader keeps
/// only as unrecognised keywords. After the visit the model serialises as plain JSON Schema 2020-12.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>nullable: true</c> (3.0) means "or null": <c>null</c> joins the type (and the enum), or a
/// <c>{type: null}</c> alternative joins the <c>oneOf</c>/<c>anyOf</c>; on a schema with neither it
/// constrains nothing.</item>
/// <item>A <c>$ref</c> beside <c>nullable: true</c> becomes <c>anyOf: [$ref, {type: null}]</c>.</item>
/// <item><c>$recursiveRef: "#"</c> (2019-09) refers to the enclosing component: it becomes a reference to it.</item>
/// <item>A 3.0 boolean <c>exclusiveMinimum</c>/<c>exclusiveMaximum</c> reaches the model as the string
/// "True"/"False" with its <c>minimum</c> dropped by the reader, so the bound is lost; it is removed rather
/// than serialised as invalid JSON (only fine-tuning hyperparameters use it; no contract test reads them).</item>
/// <item>Other unrecognised keywords (misspellings such as <c>min_items</c>, <c>optional</c>) constrain nothing and are dropped.</item>
/// </list>
/// </remarks>
internal sealed class OpenApiSpecQuirks(OpenApiDocument document) : OpenApiVisitorBase
{
    private const string ComponentsPrefix = "#/components/schemas/";

    public static void Repair(OpenApiDocument document) => new OpenApiWalker(new OpenApiSpecQuirks(document)).Walk(document);

    public override void Visit(IOpenApiSchema schema)
    {
        if (schema is not OpenApiSchema target)
        {
            return; // a reference: its target is visited as a component
        }

        if (target.Properties is { } properties)
        {
            foreach (var name in properties.Keys.ToList())
            {
                properties[name] = RepairChild(properties[name]);
            }
        }

        target.Items = target.Items is null ? null : RepairChild(target.Items);
        target.AdditionalProperties = target.AdditionalProperties is null ? null : RepairChild(target.AdditionalProperties);
        RepairChildren(target.OneOf);
        RepairChildren(target.AnyOf);
        RepairChildren(target.AllOf);
        DropBooleanBound(target);

        if (target.UnrecognizedKeywords is not { Count: > 0 } keywords)
        {
            return;
        }

        if (IsTrue(keywords, "nullable"))
        {
            MakeNullable(target);
        }

        keywords.Clear();
    }

    private static void MakeNullable(OpenApiSchema schema)
    {
        if (schema.Type is { } type)
        {
            schema.Type = type | JsonSchemaType.Null;
            if (schema.Enum is { } values && !values.Any(v => v is null))
            {
                values.Add(null!);
            }
        }
        else if ((schema.OneOf ?? schema.AnyOf) is { } alternatives)
        {
            alternatives.Add(new OpenApiSchema { Type = JsonSchemaType.Null });
        }
    }

    private void RepairChildren(IList<IOpenApiSchema>? schemas)
    {
        for (var i = 0; i < (schemas?.Count ?? 0); i++)
        {
            schemas![i] = RepairChild(schemas[i]);
        }
    }

    /// <summary>What a subschema becomes: a nullable reference wrapped, a recursive reference resolved, others as they are.</summary>
    private IOpenApiSchema RepairChild(IOpenApiSchema child)
    {
        if (child is OpenApiSchemaReference { Reference.UnrecognizedKeywords: { } referenceKeywords } reference
            && IsTrue(referenceKeywords, "nullable"))
        {
            referenceKeywords.Clear();
            return new OpenApiSchema { AnyOf = [reference, new OpenApiSchema { Type = JsonSchemaType.Null }] };
        }

        if (child is OpenApiSchema { UnrecognizedKeywords: { } keywords }
            && keywords.TryGetValue("$recursiveRef", out var recursive)
            && recursive?.GetValueKind() == JsonValueKind.String
            && recursive.GetValue<string>() == "#")
        {
            return new OpenApiSchemaReference(EnclosingComponent(), document);
        }

        return child;
    }

    private static bool IsTrue(IDictionary<string, JsonNode> keywords, string keyword) =>
        keywords.TryGetValue(keyword, out var value) && value?.GetValueKind() == JsonValueKind.True;

    private string EnclosingComponent()
    {
        var path = PathString;
        if (!path.StartsWith(ComponentsPrefix, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"$recursiveRef outside a component schema at {path}");
        }

        var rest = path[ComponentsPrefix.Length..];
        var end = rest.IndexOf('/', StringComparison.Ordinal);
        return end < 0 ? rest : rest[..end];
    }

    private static void DropBooleanBound(OpenApiSchema schema)
    {
        if (schema.ExclusiveMinimum is "True" or "False" or "true" or "false")
        {
            schema.ExclusiveMinimum = null;
        }

        if (schema.ExclusiveMaximum is "True" or "False" or "true" or "false")
        {
            schema.ExclusiveMaximum = null;
        }
    }
}
