using System.Text;
using System.Text.Json;
using Json.Schema;

namespace Cluster.Tests.Contract;

/// <summary>
/// Validates JSON documents against the component schemas of the official OpenAI OpenAPI
/// description (<c>Contract/Reference/openai-openapi.yaml</c>, vendored), loaded by
/// Microsoft.OpenApi (see <see cref="OpenApiSpec"/>) and evaluated by JsonSchema.Net.
/// </summary>
public static class OpenApiContract
{
    /// <summary>
    /// Pseudo component (not in the spec): a streamed <c>/completions</c> chunk. It has the
    /// <c>CreateCompletionResponse</c> shape, except that <c>choices[].finish_reason</c> may be null.
    /// </summary>
    public const string CompletionStreamComponent = "CreateCompletionStreamResponse";

    private const int MaxJsonInFailureMessage = 20_000;

    private static readonly Lazy<OpenApiSpec> Spec = new(OpenApiSpec.Load, LazyThreadSafetyMode.ExecutionAndPublication);

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

            var errors = SchemaErrorReport.Collect(schema.Evaluate(root, DetailedOptions), root);
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
        throw new Xunit.Sdk.XunitException(message.ToString());
    }
}
