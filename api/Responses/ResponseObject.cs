using System.Text.Json.Nodes;
using Cluster.Grains.Completions;

namespace Cluster.Api.Responses;

/// <summary>The response object (<c>"object": "response"</c>) of a turn: created in progress, then completed from the backend's answer.</summary>
internal static class ResponseObject
{
    /// <summary>The response as it stands before the backend answered: in progress, no output.</summary>
    public static JsonObject InProgress(string id, ResponseRequest request, long createdAt)
    {
        var body = request.Body;
        var response = new JsonObject
        {
            ["id"] = id,
            ["object"] = "response",
            ["created_at"] = createdAt,
            ["status"] = "in_progress",
            ["background"] = false,
            ["error"] = null,
            ["incomplete_details"] = null,
            ["instructions"] = request.Instructions,
            ["max_output_tokens"] = request.MaxOutputTokens,
            ["max_tool_calls"] = body["max_tool_calls"]?.DeepClone(),
            ["model"] = request.Model,
            ["output"] = new JsonArray(),
            ["parallel_tool_calls"] = body["parallel_tool_calls"]?.DeepClone() ?? true,
            ["previous_response_id"] = request.PreviousResponseId,
            ["conversation"] = request.ConversationId is { } conversation ? new JsonObject { ["id"] = conversation } : null,
            ["reasoning"] = body["reasoning"] is JsonObject reasoning
                ? new JsonObject { ["effort"] = reasoning["effort"]?.DeepClone(), ["summary"] = reasoning["summary"]?.DeepClone() }
                : null,
            ["store"] = request.Store,
            ["temperature"] = body["temperature"]?.DeepClone() ?? 1.0,
            ["text"] = new JsonObject
            {
                ["format"] = body["text"]?["format"]?.DeepClone() ?? new JsonObject { ["type"] = "text" },
                ["verbosity"] = body["text"]?["verbosity"]?.DeepClone() ?? "medium",
            },
            ["tool_choice"] = body["tool_choice"]?.DeepClone() ?? "auto",
            ["tools"] = request.Tools.DeepClone(),
            ["top_p"] = body["top_p"]?.DeepClone() ?? 1.0,
            ["truncation"] = "disabled",
            ["metadata"] = body["metadata"]?.DeepClone() ?? new JsonObject(),
        };

        // Present only when there is one: the spec allows neither a null usage nor a null user.
        if (body["user"] is { } user)
        {
            response["user"] = user.DeepClone();
        }

        return response;
    }

    /// <summary>
    /// Completes <paramref name="response"/> with its output and usage. A chat <c>finish_reason</c> of
    /// <c>length</c> or <c>content_filter</c> makes it <c>incomplete</c>, as OpenAI reports a cut-short response.
    /// </summary>
    public static void Complete(JsonObject response, ChatOutput output, TokenUsage usage, long completedAt)
    {
        var incomplete = output.FinishReason switch
        {
            "length" => "max_output_tokens",
            "content_filter" => "content_filter",
            _ => null,
        };

        response["status"] = incomplete is null ? "completed" : "incomplete";
        response["completed_at"] = incomplete is null ? completedAt : null;
        response["incomplete_details"] = incomplete is null ? null : new JsonObject { ["reason"] = incomplete };
        response["model"] = output.Model ?? response["model"]!.GetValue<string>();
        response["output"] = output.Items(incomplete is null ? "completed" : "incomplete");
        response["usage"] = Usage(usage);
    }

    /// <summary>Marks <paramref name="response"/> failed with <paramref name="message"/>, keeping what output there was.</summary>
    public static void Fail(JsonObject response, ChatOutput output, string code, string message)
    {
        response["status"] = "failed";
        response["error"] = new JsonObject { ["code"] = code, ["message"] = message };
        response["output"] = output.Items("incomplete");
    }

    public static JsonObject Usage(TokenUsage usage) => new()
    {
        ["input_tokens"] = usage.PromptTokens,
        ["input_tokens_details"] = new JsonObject { ["cached_tokens"] = usage.CachedTokens ?? 0, ["cache_write_tokens"] = 0 },
        ["output_tokens"] = usage.CompletionTokens,
        ["output_tokens_details"] = new JsonObject { ["reasoning_tokens"] = usage.ReasoningTokens ?? 0 },
        ["total_tokens"] = usage.TotalTokens,
    };
}
