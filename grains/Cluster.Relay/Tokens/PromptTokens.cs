using System.Text.Json;
using Cluster.Grains.Completions;

namespace Cluster.Relay.Tokens;

/// <summary>
/// Counts a request's prompt tokens before it is sent, with the o200k tokenizer: message contents
/// (plus a few tokens of framing per message), prompts and embedding inputs; token-id inputs count
/// one per id. Used to reserve tokens against limits and to bill streams cut short.
/// </summary>
internal static class PromptTokens
{
    private const int PerMessage = 4;

    public static int Count(CompletionRequest request, TokenCounter tokens)
    {
        using var document = JsonDocument.Parse(request.Body);
        var root = document.RootElement;
        var total = 0;
        switch (request.Kind)
        {
            case EndpointKind.ChatCompletions when root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array:
                total = 3;
                foreach (var message in messages.EnumerateArray())
                {
                    total += PerMessage;
                    if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("content", out var content))
                    {
                        total += Text(content, tokens);
                    }
                }

                if (root.TryGetProperty("tools", out var tools))
                {
                    total += tokens.Count(tools.GetRawText());
                }

                break;
            case EndpointKind.Completions when root.TryGetProperty("prompt", out var prompt):
                total = Text(prompt, tokens);
                break;
            case EndpointKind.Embeddings when root.TryGetProperty("input", out var input):
                total = Text(input, tokens);
                break;
        }

        return total;
    }

    private static int Text(JsonElement value, TokenCounter tokens)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return tokens.Count(value.GetString()!);
            case JsonValueKind.Number:
                return 1;
            case JsonValueKind.Array:
                var sum = 0;
                foreach (var item in value.EnumerateArray())
                {
                    sum += Text(item, tokens);
                }

                return sum;
            case JsonValueKind.Object when value.TryGetProperty("text", out var text):
                return Text(text, tokens);
            default:
                return 0;
        }
    }
}
