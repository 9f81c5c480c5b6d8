using System.Text;
using System.Text.Json;
using Cluster.Grains.Completions;
using Cluster.Relay.Completions;
using Cluster.Relay.Requests;

namespace Cluster.Tests.Support;

/// <summary>Builds <see cref="CompletionRequest"/> records as the front-end would, for calling model grains directly.</summary>
public static class CompletionRequests
{
    public static CompletionRequest Chat(string model, string content, bool stream = false, StreamUsageOption usage = StreamUsageOption.Absent)
    {
        var body = $$"""{"model":{{JsonSerializer.Serialize(model)}},"messages":[{"role":"user","content":{{JsonSerializer.Serialize(content)}}}]{{(stream ? ",\"stream\":true" : "")}}}""";
        return Create(EndpointKind.ChatCompletions, model, body, stream, stream ? usage : StreamUsageOption.Absent);
    }

    public static CompletionRequest Completion(string model, string prompt, bool stream = false) =>
        Create(EndpointKind.Completions, model, $$"""{"model":{{JsonSerializer.Serialize(model)}},"prompt":{{JsonSerializer.Serialize(prompt)}}}""", stream, StreamUsageOption.Absent);

    public static CompletionRequest Create(EndpointKind kind, string model, string json, bool stream, StreamUsageOption usage, string? requestedModel = null)
    {
        var body = Encoding.UTF8.GetBytes(json);
        return new CompletionRequest(
            RequestId: "req_test_" + Guid.NewGuid().ToString("N")[..12],
            Kind: kind,
            Model: model,
            RequestedModel: requestedModel ?? model,
            Body: body,
            ModelToken: ModelTokenOf(body),
            Stream: stream,
            StreamUsage: usage,
            MaxTokens: null,
            Caller: CallerIdentity.Default,
            SessionId: null);
    }

    /// <summary>Where the value of the top-level <c>"model"</c> sits: the string token, quotes included.</summary>
    public static TokenSpan ModelTokenOf(byte[] body)
    {
        var reader = new Utf8JsonReader(body);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isModel = reader.ValueTextEquals("model"u8);
            reader.Read();
            if (isModel)
            {
                return new TokenSpan((int)reader.TokenStartIndex, (int)(reader.BytesConsumed - reader.TokenStartIndex));
            }

            reader.Skip();
        }

        throw new ArgumentException("The body has no top-level model.", nameof(body));
    }
}
