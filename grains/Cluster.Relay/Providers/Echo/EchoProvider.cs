using System.Buffers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Cluster.Grains.Completions;
using Cluster.Grains.Errors;

namespace Cluster.Relay.Providers.Echo;

/// <summary>
/// A built-in, deterministic backend for smoke tests and benchmarks. It answers every request by
/// saying that it is the echo model and repeating the last user input, honours
/// <c>max_tokens</c> and <c>n</c>, counts usage with the o200k tokenizer, streams in small pieces,
/// and returns deterministic unit vectors for embeddings.
/// </summary>
internal sealed class EchoProvider(TokenCounter tokens, TimeProvider time) : IModelProvider
{
    public const string Preamble = "This is the echo model. You said: ";
    private const int EmbeddingDimensions = 16;
    private const int TokensPerStreamChunk = 4;

    public Task<byte[]> CompleteAsync(UpstreamCall call, CancellationToken cancellationToken)
    {
        var request = call.Request;
        if (request.Kind == EndpointKind.Embeddings)
        {
            return Task.FromResult(Embed(call));
        }

        var reply = Reply(call);
        var writer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(writer))
        {
            var chat = request.Kind == EndpointKind.ChatCompletions;
            json.WriteStartObject();
            json.WriteString("id", (chat ? "chatcmpl-echo-" : "cmpl-echo-") + request.RequestId);
            json.WriteString("object", chat ? "chat.completion" : "text_completion");
            json.WriteNumber("created", time.GetUtcNow().ToUnixTimeSeconds());
            json.WriteString("model", call.UpstreamModel);
            json.WriteString("system_fingerprint", "echo");
            json.WriteStartArray("choices");
            for (var i = 0; i < reply.Texts.Count; i++)
            {
                json.WriteStartObject();
                json.WriteNumber("index", i);
                if (chat)
                {
                    json.WriteStartObject("message");
                    json.WriteString("role", "assistant");
                    json.WriteString("content", reply.Texts[i]);
                    json.WriteNull("refusal");
                    json.WriteEndObject();
                }
                else
                {
                    json.WriteString("text", reply.Texts[i]);
                }

                json.WriteNull("logprobs");
                json.WriteString("finish_reason", reply.FinishReason);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            WriteUsage(json, reply.PromptTokens, reply.CompletionTokens);
            json.WriteEndObject();
        }

        return Task.FromResult(writer.WrittenSpan.ToArray());
    }

    public async IAsyncEnumerable<byte[]> StreamAsync(UpstreamCall call, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = call.Request;
        if (request.Kind == EndpointKind.Embeddings)
        {
            throw GatewayException.BadRequest("Embeddings cannot be streamed.", "stream");
        }

        var reply = Reply(call);
        var chat = request.Kind == EndpointKind.ChatCompletions;
        var id = (chat ? "chatcmpl-echo-" : "cmpl-echo-") + request.RequestId;
        var created = time.GetUtcNow().ToUnixTimeSeconds();
        for (var i = 0; i < reply.Texts.Count; i++)
        {
            if (chat)
            {
                yield return Chunk(id, created, call.UpstreamModel, chat, i, role: true, "", finishReason: null);
            }

            var ids = tokens.Encode(reply.Texts[i]);
            for (var start = 0; start < ids.Count; start += TokensPerStreamChunk)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var piece = tokens.Decode(ids.Skip(start).Take(TokensPerStreamChunk));
                yield return Chunk(id, created, call.UpstreamModel, chat, i, role: false, piece, finishReason: null);
                await Task.Yield();
            }

            yield return Chunk(id, created, call.UpstreamModel, chat, i, role: false, chat ? null : "", reply.FinishReason);
        }

        // Always report usage; the relay strips this chunk when the client did not ask for it.
        var writer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(writer))
        {
            json.WriteStartObject();
            json.WriteString("id", id);
            json.WriteString("object", chat ? "chat.completion.chunk" : "text_completion");
            json.WriteNumber("created", created);
            json.WriteString("model", call.UpstreamModel);
            json.WriteStartArray("choices");
            json.WriteEndArray();
            WriteUsage(json, reply.PromptTokens, reply.CompletionTokens);
            json.WriteEndObject();
        }

        yield return writer.WrittenSpan.ToArray();
    }

    private static byte[] Chunk(string id, long created, string model, bool chat, int index, bool role, string? content, string? finishReason)
    {
        var writer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(writer))
        {
            json.WriteStartObject();
            json.WriteString("id", id);
            json.WriteString("object", chat ? "chat.completion.chunk" : "text_completion");
            json.WriteNumber("created", created);
            json.WriteString("model", model);
            json.WriteString("system_fingerprint", "echo");
            json.WriteStartArray("choices");
            json.WriteStartObject();
            json.WriteNumber("index", index);
            if (chat)
            {
                json.WriteStartObject("delta");
                if (role)
                {
                    json.WriteString("role", "assistant");
                }

                if (content is not null)
                {
                    json.WriteString("content", content);
                }

                json.WriteEndObject();
            }
            else
            {
                json.WriteString("text", content ?? "");
            }

            json.WriteNull("logprobs");
            if (finishReason is null)
            {
                json.WriteNull("finish_reason");
            }
            else
            {
                json.WriteString("finish_reason", finishReason);
            }

            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }

        return writer.WrittenSpan.ToArray();
    }

    private static void WriteUsage(Utf8JsonWriter json, int prompt, int completion)
    {
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", prompt);
        json.WriteNumber("completion_tokens", completion);
        json.WriteNumber("total_tokens", prompt + completion);
        json.WriteEndObject();
    }

    private EchoReply Reply(UpstreamCall call)
    {
        var request = call.Request;
        using var document = JsonDocument.Parse(request.Body);
        var root = document.RootElement;
        var n = root.TryGetProperty("n", out var nValue) && nValue.ValueKind == JsonValueKind.Number ? Math.Clamp(nValue.GetInt32(), 1, 16) : 1;
        int promptTokens;
        List<string> inputs;
        if (request.Kind == EndpointKind.ChatCompletions)
        {
            promptTokens = 3;
            var last = "";
            foreach (var message in root.GetProperty("messages").EnumerateArray())
            {
                var text = message.TryGetProperty("content", out var content) ? TextOf(content) : "";
                promptTokens += 3 + tokens.Count(text);
                if (message.TryGetProperty("role", out var role) && role.ValueEquals("user"u8))
                {
                    last = text;
                }
            }

            inputs = Enumerable.Repeat(last, n).ToList();
        }
        else
        {
            var prompts = PromptsOf(root.GetProperty("prompt"));
            promptTokens = prompts.Sum(tokens.Count);
            inputs = prompts.SelectMany(p => Enumerable.Repeat(p, n)).ToList();
        }

        var limit = request.MaxTokens;
        var finish = "stop";
        var completionTokens = 0;
        var texts = new List<string>(inputs.Count);
        foreach (var input in inputs)
        {
            var text = Preamble + input;
            var ids = tokens.Encode(text);
            if (limit is { } max && ids.Count > max)
            {
                text = tokens.Decode(ids.Take(max));
                finish = "length";
                completionTokens += max;
            }
            else
            {
                completionTokens += ids.Count;
            }

            texts.Add(text);
        }

        return new EchoReply(texts, promptTokens, completionTokens, finish);
    }

    private List<string> PromptsOf(JsonElement prompt)
    {
        if (prompt.ValueKind == JsonValueKind.String)
        {
            return [prompt.GetString()!];
        }

        var array = prompt.EnumerateArray().ToList();
        if (array.Count > 0 && array[0].ValueKind == JsonValueKind.Number)
        {
            return [tokens.DecodeCl100k(array.Select(e => e.GetInt32()))];
        }

        return array.Select(e => e.ValueKind == JsonValueKind.String
            ? e.GetString()!
            : tokens.DecodeCl100k(e.EnumerateArray().Select(t => t.GetInt32()))).ToList();
    }

    private static string TextOf(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return "";
        }

        var text = new StringBuilder();
        foreach (var part in content.EnumerateArray())
        {
            if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var value) && value.ValueKind == JsonValueKind.String)
            {
                text.Append(value.GetString());
            }
        }

        return text.ToString();
    }

    private byte[] Embed(UpstreamCall call)
    {
        var request = EmbeddingRequest.Read(call.Request.Body, tokens);
        var vectors = request.Texts.Select(HashVector).ToArray();
        var promptTokens = request.Texts.Sum(tokens.Count);
        return EmbeddingResponse.Write(call.UpstreamModel, vectors, request.Base64, request.Dimensions, promptTokens);
    }

    private static float[] HashVector(string text)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        var vector = new float[EmbeddingDimensions];
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] = (hash[i] - 127.5f) / 127.5f;
        }

        return vector;
    }

    private sealed record EchoReply(List<string> Texts, int PromptTokens, int CompletionTokens, string FinishReason);
}
