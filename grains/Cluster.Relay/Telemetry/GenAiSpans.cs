using System.Diagnostics;

namespace Cluster.Relay.Telemetry;

/// <summary>
/// The gateway's spans, after the OpenTelemetry GenAI semantic conventions: one client span per
/// model request, named <c>{gen_ai.operation.name} {gen_ai.request.model}</c>, around the call to
/// the backend (the HTTP client span of the upstream call is its child). Start it with
/// <see cref="StartRequest"/> where the request is sent to a backend; give it the response's
/// model, id and usage with <see cref="SetResponse"/>, a failure with <see cref="SetError"/>;
/// dispose it when the response (or stream) ends.
/// </summary>
public static class GenAiSpans
{
    public const string SourceName = "Cluster.Gateway";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary><c>gen_ai.operation.name</c> of an endpoint: <c>chat</c>, <c>text_completion</c> or <c>embeddings</c>.</summary>
    public static string OperationName(EndpointKind kind) => kind switch
    {
        EndpointKind.ChatCompletions => "chat",
        EndpointKind.Completions => "text_completion",
        _ => "embeddings",
    };

    /// <summary>
    /// The API a request came in by, the <c>api</c> label of the metrics and spans:
    /// <c>chat.completions</c>, <c>completions</c>, <c>embeddings</c>, or <c>responses</c> for a
    /// turn of the Responses API (relayed as a chat operation, so its operation name is <c>chat</c>).
    /// </summary>
    public static string ApiName(EndpointKind kind, bool responses = false) => responses ? "responses" : kind switch
    {
        EndpointKind.ChatCompletions => "chat.completions",
        EndpointKind.Completions => "completions",
        _ => "embeddings",
    };

    /// <summary>
    /// Starts the span of one model request, or returns null when nothing listens.
    /// <paramref name="operation"/> is <c>chat</c>, <c>text_completion</c> or <c>embeddings</c>;
    /// <paramref name="provider"/> the backend's kind (<c>openai</c>, <c>azure.ai.openai</c>, …).
    /// </summary>
    public static Activity? StartRequest(string operation, string requestModel, string provider, string? conversationId = null, string? api = null)
    {
        var activity = Source.StartActivity($"{operation} {requestModel}", ActivityKind.Client);
        if (activity is null)
        {
            return null;
        }

        activity.SetTag("gen_ai.operation.name", operation);
        activity.SetTag("gen_ai.request.model", requestModel);
        activity.SetTag("gen_ai.provider.name", provider);
        if (api is not null)
        {
            activity.SetTag("cluster.api", api);
        }

        if (conversationId is not null)
        {
            activity.SetTag("gen_ai.conversation.id", conversationId);
        }

        return activity;
    }

    public static void SetResponse(this Activity? activity, string? responseModel, string? responseId, long? inputTokens, long? outputTokens)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag("gen_ai.response.model", responseModel);
        activity.SetTag("gen_ai.response.id", responseId);
        activity.SetTag("gen_ai.usage.input_tokens", inputTokens);
        activity.SetTag("gen_ai.usage.output_tokens", outputTokens);
    }

    /// <summary>Marks the span failed; <paramref name="errorType"/> is the error code (e.g. <c>upstream_timeout</c>) or the exception's type name.</summary>
    public static void SetError(this Activity? activity, string errorType, string? description = null)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag("error.type", errorType);
        activity.SetStatus(ActivityStatusCode.Error, description);
    }
}
