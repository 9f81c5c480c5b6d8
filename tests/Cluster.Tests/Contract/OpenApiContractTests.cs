using Xunit.Sdk;

namespace Cluster.Tests.Contract;

[Trait("Category", "Unit")]
public class OpenApiContractTests
{
    private const string ChatCompletion = """
        {
          "id": "chatcmpl-123",
          "object": "chat.completion",
          "created": 1700000000,
          "model": "gpt-4o-mini",
          "choices": [
            {
              "index": 0,
              "message": { "role": "assistant", "content": "Hello!", "refusal": null },
              "logprobs": null,
              "finish_reason": "stop"
            }
          ],
          "usage": { "prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11 }
        }
        """;

    private const string ErrorWithoutMessage = """
        { "error": { "type": "invalid_request_error", "param": null, "code": null } }
        """;

    [Fact]
    public void Validate_MinimalChatCompletionResponse_ReturnsNoErrors()
    {
        Assert.Empty(OpenApiContract.Validate("CreateChatCompletionResponse", ChatCompletion));
    }

    [Fact]
    public void Validate_ChatCompletionResponseWithoutChoices_ReportsMissingChoices()
    {
        const string json = """
            { "id": "chatcmpl-123", "object": "chat.completion", "created": 1700000000, "model": "gpt-4o-mini" }
            """;

        var errors = OpenApiContract.Validate("CreateChatCompletionResponse", json);

        var error = Assert.Single(errors);
        Assert.StartsWith("$:", error, StringComparison.Ordinal);
        Assert.Contains("\"choices\"", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_PropertyOfWrongType_ReportsPathAndExpectedType()
    {
        var json = ChatCompletion.Replace("\"created\": 1700000000", "\"created\": \"1700000000\"", StringComparison.Ordinal);

        var errors = OpenApiContract.Validate("CreateChatCompletionResponse", json);

        var error = Assert.Single(errors);
        Assert.StartsWith("$.created:", error, StringComparison.Ordinal);
        Assert.Contains("\"integer\"", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NestedPropertyOfWrongType_ReportsJsonPathWithIndex()
    {
        var json = ChatCompletion.Replace("\"index\": 0", "\"index\": \"0\"", StringComparison.Ordinal);

        var errors = OpenApiContract.Validate("CreateChatCompletionResponse", json);

        Assert.StartsWith("$.choices[0].index:", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ChatCompletionStreamChunk_ReturnsNoErrors()
    {
        const string json = """
            {
              "id": "chatcmpl-123",
              "object": "chat.completion.chunk",
              "created": 1700000000,
              "model": "gpt-4o-mini",
              "system_fingerprint": "fp_1",
              "choices": [
                { "index": 0, "delta": { "role": "assistant", "content": "Hel" }, "logprobs": null, "finish_reason": null }
              ],
              "usage": null
            }
            """;

        Assert.Empty(OpenApiContract.Validate("CreateChatCompletionStreamResponse", json));
    }

    [Fact]
    public void Validate_ChatCompletionStreamChunkWithMalformedUsage_ReportsUsageErrors()
    {
        // usage is "$ref: CompletionUsage" beside "nullable: true": null passes, but a present usage is still checked.
        const string json = """
            {
              "id": "chatcmpl-123",
              "object": "chat.completion.chunk",
              "created": 1700000000,
              "model": "gpt-4o-mini",
              "choices": [],
              "usage": { "prompt_tokens": "9", "completion_tokens": 2, "total_tokens": 11 }
            }
            """;

        var error = Assert.Single(OpenApiContract.Validate("CreateChatCompletionStreamResponse", json));

        Assert.StartsWith("$.usage.prompt_tokens:", error, StringComparison.Ordinal);
        Assert.Contains("CompletionUsage", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NullableIntegerGivenNullOrString_AcceptsNullRejectsString()
    {
        // max_completion_tokens is "type: integer" beside "nullable: true".
        const string request = """{ "model": "gpt-4o-mini", "messages": [ { "role": "user", "content": "hi" } ], "max_completion_tokens": VALUE }""";

        Assert.Empty(OpenApiContract.Validate("CreateChatCompletionRequest", request.Replace("VALUE", "null", StringComparison.Ordinal)));
        var error = Assert.Single(OpenApiContract.Validate("CreateChatCompletionRequest", request.Replace("VALUE", "\"5\"", StringComparison.Ordinal)));
        Assert.StartsWith("$.max_completion_tokens:", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ChatCompletionStreamChunkWithUnknownFinishReason_ReportsEnumViolation()
    {
        const string json = """
            {
              "id": "chatcmpl-123",
              "object": "chat.completion.chunk",
              "created": 1700000000,
              "model": "gpt-4o-mini",
              "choices": [ { "index": 0, "delta": {}, "finish_reason": "done" } ]
            }
            """;

        var errors = OpenApiContract.Validate("CreateChatCompletionStreamResponse", json);

        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.StartsWith("$.choices[0].finish_reason:", e, StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("\"done\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_EmbeddingResponse_ReturnsNoErrors()
    {
        const string json = """
            {
              "object": "list",
              "data": [ { "object": "embedding", "index": 0, "embedding": [0.0023064255, -0.009327292, 1e-7] } ],
              "model": "text-embedding-3-small",
              "usage": { "prompt_tokens": 8, "total_tokens": 8 }
            }
            """;

        Assert.Empty(OpenApiContract.Validate("CreateEmbeddingResponse", json));
    }

    [Fact]
    public void Validate_ListModelsResponse_ReturnsNoErrors()
    {
        const string json = """
            {
              "object": "list",
              "data": [
                { "id": "gpt-4o-mini", "object": "model", "created": 1686935002, "owned_by": "openai" },
                { "id": "local-model", "object": "model", "created": 1700000000, "owned_by": "cluster" }
              ]
            }
            """;

        Assert.Empty(OpenApiContract.Validate("ListModelsResponse", json));
    }

    [Fact]
    public void Validate_Model_ReturnsNoErrors()
    {
        const string json = """
            { "id": "gpt-4o-mini", "object": "model", "created": 1686935002, "owned_by": "openai", "shutdown_date": "2026-10-23" }
            """;

        Assert.Empty(OpenApiContract.Validate("Model", json));
    }

    [Fact]
    public void Validate_ModelWithWrongObjectType_ReportsEnumViolation()
    {
        const string json = """
            { "id": "gpt-4o-mini", "object": "models", "created": 1686935002, "owned_by": "openai" }
            """;

        Assert.StartsWith("$.object:", Assert.Single(OpenApiContract.Validate("Model", json)), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ErrorResponse_ReturnsNoErrors()
    {
        const string json = """
            { "error": { "message": "The model `nope` does not exist.", "type": "invalid_request_error", "param": "model", "code": "model_not_found" } }
            """;

        Assert.Empty(OpenApiContract.Validate("ErrorResponse", json));
    }

    [Fact]
    public void Validate_ErrorResponseWithoutMessage_ReportsMissingMessage()
    {
        var errors = OpenApiContract.Validate("ErrorResponse", ErrorWithoutMessage);

        var error = Assert.Single(errors);
        Assert.StartsWith("$.error:", error, StringComparison.Ordinal);
        Assert.Contains("\"message\"", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_CompletionStreamChunkWithNullFinishReason_ReturnsNoErrors()
    {
        const string json = """
            {
              "id": "cmpl-123",
              "object": "text_completion",
              "created": 1700000000,
              "model": "gpt-3.5-turbo-instruct",
              "choices": [ { "text": "Hel", "index": 0, "logprobs": null, "finish_reason": null } ]
            }
            """;

        Assert.Empty(OpenApiContract.Validate(OpenApiContract.CompletionStreamComponent, json));
    }

    [Fact]
    public void Validate_CompletionResponseWithNullFinishReason_ReportsFinishReason()
    {
        const string json = """
            {
              "id": "cmpl-123",
              "object": "text_completion",
              "created": 1700000000,
              "model": "gpt-3.5-turbo-instruct",
              "choices": [ { "text": "Hel", "index": 0, "logprobs": null, "finish_reason": null } ]
            }
            """;

        var errors = OpenApiContract.Validate("CreateCompletionResponse", json);

        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.StartsWith("$.choices[0].finish_reason:", e, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_CompletionStreamChunkWithUnknownFinishReason_ReportsEnumViolation()
    {
        const string json = """
            {
              "id": "cmpl-123",
              "object": "text_completion",
              "created": 1700000000,
              "model": "gpt-3.5-turbo-instruct",
              "choices": [ { "text": "", "index": 0, "logprobs": null, "finish_reason": "eos" } ]
            }
            """;

        var errors = OpenApiContract.Validate(OpenApiContract.CompletionStreamComponent, json);

        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.StartsWith("$.choices[0].finish_reason:", e, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_OneOfWithDiscriminatedAlternatives_ReportsOnlyTheMatchingAlternative()
    {
        const string json = """
            { "model": "gpt-4o-mini", "messages": [ { "role": "tool", "content": "42" } ] }
            """;

        var errors = OpenApiContract.Validate("CreateChatCompletionRequest", json);

        var error = Assert.Single(errors);
        Assert.StartsWith("$.messages[0]:", error, StringComparison.Ordinal);
        Assert.Contains("tool_call_id", error, StringComparison.Ordinal);
        Assert.Contains("ChatCompletionRequestToolMessage", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_OneOfWithoutAnyCloseAlternative_ReportsEveryAlternative()
    {
        const string json = """
            { "model": "gpt-4o-mini", "messages": [ { "role": "user", "content": 42 } ] }
            """;

        var errors = OpenApiContract.Validate("CreateChatCompletionRequest", json);

        Assert.Contains(errors, e => e.StartsWith("$.messages[0].content: matches none of the 2 alternatives of oneOf", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("oneOf[0]: $.messages[0].content:", StringComparison.Ordinal) && e.Contains("\"string\"", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("oneOf[1]: $.messages[0].content:", StringComparison.Ordinal) && e.Contains("\"array\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_MalformedJson_ReportsParseError()
    {
        var error = Assert.Single(OpenApiContract.Validate("ErrorResponse", "{\"error\":"));

        Assert.StartsWith("$: not valid JSON", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_UnknownComponent_ThrowsArgumentException()
    {
        var exception = Assert.Throws<ArgumentException>(() => OpenApiContract.Validate("NoSuchComponent", "{}"));

        Assert.Contains("NoSuchComponent", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AssertValid_ValidDocument_DoesNotThrow()
    {
        var exception = Record.Exception(() => OpenApiContract.AssertValid("CreateChatCompletionResponse", ChatCompletion));

        Assert.Null(exception);
    }

    [Fact]
    public void AssertValid_InvalidDocument_ThrowsWithErrorsAndJson()
    {
        var exception = Assert.Throws<XunitException>(() => OpenApiContract.AssertValid("ErrorResponse", ErrorWithoutMessage));

        Assert.Contains("ErrorResponse", exception.Message, StringComparison.Ordinal);
        Assert.Contains("$.error:", exception.Message, StringComparison.Ordinal);
        Assert.Contains(ErrorWithoutMessage.Trim(), exception.Message, StringComparison.Ordinal);
    }
}
