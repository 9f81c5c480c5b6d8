using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Cluster.Tests.Support;

/// <summary>
/// An OpenAI-compatible backend on a loopback port, written for the tests: it answers chat
/// completions, completions and embeddings (streamed or not) with known token counts, says who
/// it is in every reply, counts the usage it served and its peak in-flight requests, and can be
/// told to fail, hang or slow down. The edge we do not own, faked at the HTTP level.
/// </summary>
public sealed class FakeUpstream : IAsyncDisposable
{
    public const int PromptTokens = 7;
    public const int CompletionTokensPerChunk = 2;

    private readonly WebApplication _app;
    private int _inFlight;
    private int _peakInFlight;
    private long _requests;
    private long _promptTokens;
    private long _completionTokens;
    private long _completed;
    private long _closedEarly;

    private FakeUpstream(WebApplication app, string name)
    {
        _app = app;
        Name = name;
    }

    /// <summary>The identity this replica puts in <c>system_fingerprint</c> and in its replies.</summary>
    public string Name { get; }

    public string BaseUrl { get; private set; } = "";

    /// <summary>The bodies received, in order of arrival.</summary>
    public ConcurrentQueue<JsonObject> Requests { get; } = new();

    /// <summary>The headers of each request, in order of arrival.</summary>
    public ConcurrentQueue<IHeaderDictionary> Headers { get; } = new();

    /// <summary>When set, every request gets this status and an OpenAI error body.</summary>
    public int? FailWithStatus { get; set; }

    /// <summary>When set, a 429 carries this Retry-After.</summary>
    public int? RetryAfterSeconds { get; set; }

    /// <summary>Delay before the response starts.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Delay between streamed chunks.</summary>
    public TimeSpan ChunkInterval { get; set; }

    /// <summary>Content chunks per streamed response.</summary>
    public int Chunks { get; set; } = 3;

    /// <summary>When true, requests are accepted and never answered.</summary>
    public bool Hang { get; set; }

    /// <summary>
    /// When set, a streamed response drops its connection after this many content chunks, and a
    /// non-streamed one after its headers and half its body, as a crashing backend would.
    /// </summary>
    public int? FailAfterChunks { get; set; }

    /// <summary>When set, usage says this many prompt tokens came from the prefix cache (<c>prompt_tokens_details.cached_tokens</c>).</summary>
    public int? CachedTokens { get; set; }

    /// <summary>
    /// When true, a chat request that offers tools and ends with a user message is answered with a
    /// call of its first tool (arguments <see cref="ToolArguments"/>, streamed in two pieces) instead of text.
    /// </summary>
    public bool CallTools { get; set; }

    /// <summary>The arguments of the tool calls <see cref="CallTools"/> makes.</summary>
    public const string ToolArguments = """{"city":"Paris"}""";

    /// <summary>When false, responses carry no usage (as some backends do).</summary>
    public bool ReportUsage { get; set; } = true;

    public int PeakInFlight => Volatile.Read(ref _peakInFlight);

    public long RequestCount => Interlocked.Read(ref _requests);

    /// <summary>Usage of the responses this upstream finished sending.</summary>
    public long ServedPromptTokens => Interlocked.Read(ref _promptTokens);

    public long ServedCompletionTokens => Interlocked.Read(ref _completionTokens);

    public long CompletedCount => Interlocked.Read(ref _completed);

    /// <summary>Streams whose client went away before the end.</summary>
    public long ClosedEarlyCount => Interlocked.Read(ref _closedEarly);

    /// <summary>Raised when a streamed response's client disconnected, with the time it was seen.</summary>
    public event Action<DateTimeOffset>? ClientDisconnected;

    public static async Task<FakeUpstream> StartAsync(string name = "upstream-a")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var upstream = new FakeUpstream(app, name);
        app.MapPost("/v1/chat/completions", context => upstream.HandleAsync(context, "chat"));
        app.MapPost("/v1/completions", context => upstream.HandleAsync(context, "text"));
        app.MapPost("/v1/embeddings", context => upstream.HandleAsync(context, "embeddings"));
        app.MapGet("/v1/models", () => Results.Json(new { @object = "list", data = new[] { new { id = "fake-model", @object = "model", created = 1, owned_by = name } } }));
        await app.StartAsync();
        upstream.BaseUrl = app.Urls.First().TrimEnd('/') + "/v1";
        return upstream;
    }

    public void Reset()
    {
        Requests.Clear();
        Headers.Clear();
        Interlocked.Exchange(ref _requests, 0);
        Interlocked.Exchange(ref _promptTokens, 0);
        Interlocked.Exchange(ref _completionTokens, 0);
        Interlocked.Exchange(ref _completed, 0);
        Interlocked.Exchange(ref _closedEarly, 0);
        Volatile.Write(ref _peakInFlight, 0);
    }

    private async Task HandleAsync(HttpContext context, string kind)
    {
        var inFlight = Interlocked.Increment(ref _inFlight);
        int peak;
        while (inFlight > (peak = Volatile.Read(ref _peakInFlight)) && Interlocked.CompareExchange(ref _peakInFlight, inFlight, peak) != peak)
        {
        }

        Interlocked.Increment(ref _requests);
        try
        {
            var body = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
            Requests.Enqueue(body);
            Headers.Enqueue(context.Request.Headers);
            if (Hang)
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }

            if (Delay > TimeSpan.Zero)
            {
                await Task.Delay(Delay, context.RequestAborted);
            }

            if (FailWithStatus is { } status)
            {
                context.Response.StatusCode = status;
                if (RetryAfterSeconds is { } retry)
                {
                    context.Response.Headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                await context.Response.WriteAsJsonAsync(new { error = new { message = $"{Name} fails on purpose", type = "fake_error", param = (string?)null, code = "fake_failure" } });
                return;
            }

            var model = body["model"]?.GetValue<string>() ?? "";
            if (kind == "chat" && ToolToCall(body) is { } tool)
            {
                await CallToolAsync(context, body, model, tool);
            }
            else if (kind == "embeddings")
            {
                await WriteEmbeddingsAsync(context, body, model);
            }
            else if (body["stream"]?.GetValue<bool>() == true)
            {
                await StreamAsync(context, body, model, kind);
            }
            else if (FailAfterChunks is not null)
            {
                var whole = Encoding.UTF8.GetBytes(Completion(model, kind, Chunks));
                context.Response.ContentLength = whole.Length;
                await context.Response.Body.WriteAsync(whole.AsMemory(0, whole.Length / 2), context.RequestAborted);
                await DropAsync(context);
            }
            else
            {
                await context.Response.WriteAsync(Completion(model, kind, Chunks));
                Count(Chunks);
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            Interlocked.Increment(ref _closedEarly);
            ClientDisconnected?.Invoke(DateTimeOffset.UtcNow);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task StreamAsync(HttpContext context, JsonObject body, string model, string kind)
    {
        var includeUsage = body["stream_options"]?["include_usage"]?.GetValue<bool>() == true;
        context.Response.ContentType = "text/event-stream";
        var chat = kind == "chat";
        for (var i = 0; i < Chunks; i++)
        {
            if (i == FailAfterChunks)
            {
                await DropAsync(context);
                return;
            }

            if (i > 0 && ChunkInterval > TimeSpan.Zero)
            {
                await Task.Delay(ChunkInterval, context.RequestAborted);
            }

            var text = $"{Name} part{i} ";
            var delta = chat
                ? $$"""{"index":0,"delta":{{{(i == 0 ? "\"role\":\"assistant\"," : "")}}"content":{{JsonSerializer.Serialize(text)}}},"logprobs":null,"finish_reason":null}"""
                : $$"""{"index":0,"text":{{JsonSerializer.Serialize(text)}},"logprobs":null,"finish_reason":null}""";
            await WriteEventAsync(context, Chunk(model, chat, delta, includeUsage));
        }

        var final = chat
            ? """{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}"""
            : """{"index":0,"text":"","logprobs":null,"finish_reason":"stop"}""";
        await WriteEventAsync(context, Chunk(model, chat, final, includeUsage));
        if (includeUsage && ReportUsage)
        {
            await WriteEventAsync(context, $$"""{"id":"fake-1","object":"{{(chat ? "chat.completion.chunk" : "text_completion")}}","created":1700000000,"model":"{{model}}","system_fingerprint":"{{Name}}","choices":[],"usage":{{Usage(Chunks)}}}""");
        }

        await context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
        Count(Chunks);
    }

    /// <summary>The tool to call for <paramref name="body"/> under <see cref="CallTools"/>, or null to answer with text.</summary>
    private string? ToolToCall(JsonObject body) =>
        CallTools && body["tools"] is JsonArray { Count: > 0 } tools && body["messages"] is JsonArray { Count: > 0 } messages && messages[^1]?["role"]?.GetValue<string>() == "user"
            ? tools[0]?["function"]?["name"]?.GetValue<string>()
            : null;

    private async Task CallToolAsync(HttpContext context, JsonObject body, string model, string tool)
    {
        var name = JsonSerializer.Serialize(tool);
        if (body["stream"]?.GetValue<bool>() != true)
        {
            var call = $$$"""{"id":"call_fake1","type":"function","function":{"name":{{{name}}},"arguments":{{{JsonSerializer.Serialize(ToolArguments)}}}}}""";
            await context.Response.WriteAsync($$"""{"id":"fake-1","object":"chat.completion","created":1700000000,"model":"{{model}}","system_fingerprint":"{{Name}}","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{{call}}]},"logprobs":null,"finish_reason":"tool_calls"}],"usage":{{Usage(1)}}}""");
            Count(1);
            return;
        }

        var includeUsage = body["stream_options"]?["include_usage"]?.GetValue<bool>() == true;
        context.Response.ContentType = "text/event-stream";
        var half = ToolArguments.Length / 2;
        await WriteEventAsync(context, Chunk(model, true, $$$"""{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_fake1","type":"function","function":{"name":{{{name}}},"arguments":""}}]},"logprobs":null,"finish_reason":null}""", includeUsage));
        foreach (var piece in new[] { ToolArguments[..half], ToolArguments[half..] })
        {
            await WriteEventAsync(context, Chunk(model, true, $$$"""{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":{{{JsonSerializer.Serialize(piece)}}}}}]},"logprobs":null,"finish_reason":null}""", includeUsage));
        }

        await WriteEventAsync(context, Chunk(model, true, """{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}""", includeUsage));
        if (includeUsage)
        {
            await WriteEventAsync(context, $$"""{"id":"fake-1","object":"chat.completion.chunk","created":1700000000,"model":"{{model}}","system_fingerprint":"{{Name}}","choices":[],"usage":{{Usage(1)}}}""");
        }

        await context.Response.WriteAsync("data: [DONE]\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
        Count(1);
    }

    /// <summary>
    /// Sends what was written (the status line and headers at least), then drops the connection;
    /// after a pause, since a reset discards whatever the peer has not read yet.
    /// </summary>
    private static async Task DropAsync(HttpContext context)
    {
        await context.Response.Body.FlushAsync(context.RequestAborted);
        await Task.Delay(TimeSpan.FromMilliseconds(200), context.RequestAborted);
        context.Abort();
    }

    private string Chunk(string model, bool chat, string choice, bool includeUsage)
    {
        var usage = includeUsage && chat ? ",\"usage\":null" : "";
        var type = chat ? "chat.completion.chunk" : "text_completion";
        return $$"""{"id":"fake-1","object":"{{type}}","created":1700000000,"model":"{{model}}","system_fingerprint":"{{Name}}","choices":[{{choice}}]{{usage}},"vendor_extension":{"kept":true} }""";
    }

    private static async Task WriteEventAsync(HttpContext context, string json)
    {
        await context.Response.WriteAsync("data: " + json + "\n\n", context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    private string Completion(string model, string kind, int chunks)
    {
        var text = string.Concat(Enumerable.Range(0, chunks).Select(i => $"{Name} part{i} "));
        var usage = ReportUsage ? $",\"usage\":{Usage(chunks)}" : "";
        return kind == "chat"
            ? $$"""{"id":"fake-1","object":"chat.completion","created":1700000000,"model":"{{model}}","system_fingerprint":"{{Name}}","choices":[{"index":0,"message":{"role":"assistant","content":{{JsonSerializer.Serialize(text)}},"refusal":null},"logprobs":null,"finish_reason":"stop"}]{{usage}},"vendor_extension":{"kept":true} }"""
            : $$"""{"id":"fake-1","object":"text_completion","created":1700000000,"model":"{{model}}","system_fingerprint":"{{Name}}","choices":[{"index":0,"text":{{JsonSerializer.Serialize(text)}},"logprobs":null,"finish_reason":"stop"}]{{usage}}}""";
    }

    private async Task WriteEmbeddingsAsync(HttpContext context, JsonObject body, string model)
    {
        var input = body["input"]!;
        var count = input is JsonArray array && array.Count > 0 && array[0] is not JsonValue { } ? array.Count
            : input is JsonArray strings && strings.Count > 0 && strings[0]!.GetValueKind() == JsonValueKind.String ? strings.Count
            : 1;
        var base64 = body["encoding_format"]?.GetValue<string>() == "base64";
        var data = new StringBuilder();
        for (var i = 0; i < count; i++)
        {
            var vector = new[] { 0.6f, 0.8f, 0f };
            var embedding = base64
                ? JsonSerializer.Serialize(Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(vector.AsSpan())))
                : "[0.6,0.8,0.0]";
            data.Append(i > 0 ? "," : "").Append($$"""{"object":"embedding","index":{{i}},"embedding":{{embedding}}}""");
        }

        var usage = ReportUsage ? $$""","usage":{"prompt_tokens":{{PromptTokens}},"total_tokens":{{PromptTokens}}}""" : "";
        await context.Response.WriteAsync($$"""{"object":"list","data":[{{data}}],"model":"{{model}}"{{usage}}}""");
        Interlocked.Add(ref _promptTokens, PromptTokens);
        Interlocked.Increment(ref _completed);
    }

    private string Usage(int chunks) =>
        $$"""{"prompt_tokens":{{PromptTokens}},"completion_tokens":{{chunks * CompletionTokensPerChunk}},"total_tokens":{{PromptTokens + (chunks * CompletionTokensPerChunk)}}{{(CachedTokens is { } cached ? $",\"prompt_tokens_details\":{{\"cached_tokens\":{cached}}}" : "")}}}""";

    private void Count(int chunks)
    {
        if (!ReportUsage)
        {
            return;
        }

        Interlocked.Add(ref _promptTokens, PromptTokens);
        Interlocked.Add(ref _completionTokens, chunks * CompletionTokensPerChunk);
        Interlocked.Increment(ref _completed);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
