namespace Cluster.Tests.Support.InMemory;

/// <summary>OpenAI wire JSON a backend sends, for scripts.</summary>
internal static class WireChunks
{
    public static string Content(string text) =>
        $$$"""{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"upstream-model","choices":[{"index":0,"delta":{"content":{{{System.Text.Json.JsonSerializer.Serialize(text)}}}},"finish_reason":null}]}""";

    public static string Usage(int prompt, int completion) =>
        $$$"""{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"upstream-model","choices":[],"usage":{"prompt_tokens":{{{prompt}}},"completion_tokens":{{{completion}}},"total_tokens":{{{prompt + completion}}}}}""";

    public static string Completion(string text, int prompt, int completion) =>
        $$$"""{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"upstream-model","choices":[{"index":0,"message":{"role":"assistant","content":{{{System.Text.Json.JsonSerializer.Serialize(text)}}}},"finish_reason":"stop"}],"usage":{"prompt_tokens":{{{prompt}}},"completion_tokens":{{{completion}}},"total_tokens":{{{prompt + completion}}}}}""";
}
