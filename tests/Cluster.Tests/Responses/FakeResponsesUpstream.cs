using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Cluster.Tests.Responses;

/// <summary>
/// A backend on a loopback port that speaks OpenAI's <c>POST /responses</c> (and nothing else), as a
/// native-Responses deployment's backend would: it keeps nothing (it answers from the input it is
/// sent), names its response and items with its own ids, reports usage in the Responses shape,
/// streams OpenAI's event sequence, and calls the first tool it is offered when the input ends with
/// a user message. The edge we do not own, faked at the HTTP level.
/// </summary>
public sealed class FakeResponsesUpstream : IAsyncDisposable
{
    public const int InputTokens = 11;
    public const int OutputTokens = 5;
    public const int CachedTokens = 3;
    public const string BackendResponseId = "resp_backend_0001";
    public const string ToolArguments = """{"city":"Paris"}""";
    public static readonly string[] TextParts = ["native ", "reply"];

    private readonly WebApplication _app;

    private FakeResponsesUpstream(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = "";

    /// <summary>The bodies received, in order of arrival.</summary>
    public ConcurrentQueue<JsonObject> Requests { get; } = new();

    public static string Text => string.Concat(TextParts);

    public static async Task<FakeResponsesUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var upstream = new FakeResponsesUpstream(app);
        app.MapPost("/v1/responses", upstream.HandleAsync);
        await app.StartAsync();
        upstream.BaseUrl = app.Urls.First().TrimEnd('/') + "/v1";
        return upstream;
    }

    /// <summary>The bodies received that contain <paramref name="marker"/>.</summary>
    public List<JsonObject> ReceivedWith(string marker) =>
        [.. Requests.Where(r => r.ToJsonString().Contains(marker, StringComparison.Ordinal))];

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private async Task HandleAsync(HttpContext context)
    {
        var body = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
        Requests.Enqueue(body);
        var model = body["model"]!.GetValue<string>();
        var input = body["input"]!.AsArray();
        var callTool = body["tools"] is JsonArray { Count: > 0 } && input[^1]!["type"]?.GetValue<string>() == "message" && input[^1]!["role"]?.GetValue<string>() == "user";
        var item = callTool
            ? new JsonObject
            {
                ["type"] = "function_call", ["id"] = "fc_backend_0001", ["call_id"] = "call_backend_0001", ["status"] = "completed",
                ["name"] = body["tools"]![0]!["name"]!.GetValue<string>(), ["arguments"] = ToolArguments,
            }
            : new JsonObject
            {
                ["type"] = "message", ["id"] = "msg_backend_0001", ["role"] = "assistant", ["status"] = "completed",
                ["content"] = new JsonArray(new JsonObject { ["type"] = "output_text", ["text"] = Text, ["annotations"] = new JsonArray() }),
            };
        var usage = new JsonObject
        {
            ["input_tokens"] = InputTokens, ["input_tokens_details"] = new JsonObject { ["cached_tokens"] = CachedTokens },
            ["output_tokens"] = OutputTokens, ["output_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 0 },
            ["total_tokens"] = InputTokens + OutputTokens,
        };

        if (body["stream"]?.GetValue<bool>() != true)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(Response(model, "completed", new JsonArray(item), usage).ToJsonString());
            return;
        }

        context.Response.ContentType = "text/event-stream";
        var sequence = 0;
        async Task SendAsync(string type, JsonObject e)
        {
            e["type"] = type;
            e["sequence_number"] = sequence++;
            await context.Response.WriteAsync($"event: {type}\ndata: {e.ToJsonString()}\n\n", Encoding.UTF8);
            await context.Response.Body.FlushAsync();
        }

        await SendAsync("response.created", new JsonObject { ["response"] = Response(model, "in_progress", [], null) });
        await SendAsync("response.in_progress", new JsonObject { ["response"] = Response(model, "in_progress", [], null) });
        var id = item["id"]!.GetValue<string>();
        if (callTool)
        {
            var added = item.DeepClone().AsObject();
            added["arguments"] = "";
            added["status"] = "in_progress";
            await SendAsync("response.output_item.added", new JsonObject { ["output_index"] = 0, ["item"] = added });
            foreach (var piece in new[] { ToolArguments[..5], ToolArguments[5..] })
            {
                await SendAsync("response.function_call_arguments.delta", new JsonObject { ["item_id"] = id, ["output_index"] = 0, ["delta"] = piece });
            }

            await SendAsync("response.function_call_arguments.done", new JsonObject { ["item_id"] = id, ["output_index"] = 0, ["arguments"] = ToolArguments });
        }
        else
        {
            await SendAsync("response.output_item.added", new JsonObject
            {
                ["output_index"] = 0,
                ["item"] = new JsonObject { ["type"] = "message", ["id"] = id, ["role"] = "assistant", ["status"] = "in_progress", ["content"] = new JsonArray() },
            });
            await SendAsync("response.content_part.added", new JsonObject
            {
                ["item_id"] = id, ["output_index"] = 0, ["content_index"] = 0,
                ["part"] = new JsonObject { ["type"] = "output_text", ["text"] = "", ["annotations"] = new JsonArray() },
            });
            foreach (var piece in TextParts)
            {
                await SendAsync("response.output_text.delta", new JsonObject { ["item_id"] = id, ["output_index"] = 0, ["content_index"] = 0, ["delta"] = piece, ["logprobs"] = new JsonArray() });
            }

            await SendAsync("response.output_text.done", new JsonObject { ["item_id"] = id, ["output_index"] = 0, ["content_index"] = 0, ["text"] = Text, ["logprobs"] = new JsonArray() });
            await SendAsync("response.content_part.done", new JsonObject
            {
                ["item_id"] = id, ["output_index"] = 0, ["content_index"] = 0,
                ["part"] = new JsonObject { ["type"] = "output_text", ["text"] = Text, ["annotations"] = new JsonArray() },
            });
        }

        await SendAsync("response.output_item.done", new JsonObject { ["output_index"] = 0, ["item"] = item.DeepClone() });
        await SendAsync("response.completed", new JsonObject { ["response"] = Response(model, "completed", new JsonArray(item.DeepClone()), usage) });
    }

    private static JsonObject Response(string model, string status, JsonArray output, JsonObject? usage) => new()
    {
        ["id"] = BackendResponseId,
        ["object"] = "response",
        ["created_at"] = 1_700_000_000,
        ["status"] = status,
        ["model"] = model,
        ["output"] = output,
        ["usage"] = usage?.DeepClone(),
    };
}
