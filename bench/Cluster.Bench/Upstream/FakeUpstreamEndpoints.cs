using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Net.Http.Headers;

namespace Cluster.Bench.Upstream;

/// <summary>The OpenAI-shaped routes of the fake upstream, plus <c>/_stats</c>.</summary>
internal static class FakeUpstreamEndpoints
{
    // Large enough for the bodies bench (15 MB chats); Kestrel's own 30 MB limit sits above it.
    private const int MaxBodyBytes = 32 << 20;

    public static IEndpointRouteBuilder MapFakeUpstream(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/v1/chat/completions", context => CompleteAsync(context, chat: true));
        endpoints.MapPost("/v1/completions", context => CompleteAsync(context, chat: false));
        endpoints.MapPost("/v1/embeddings", EmbedAsync);
        endpoints.MapGet("/v1/models", ListModelsAsync);
        endpoints.MapGet("/_stats", WriteStatsAsync);
        endpoints.MapPost("/_stats/reset", ResetStats);
        return endpoints;
    }

    private static async Task CompleteAsync(HttpContext context, bool chat)
    {
        var stats = context.RequestServices.GetRequiredService<UpstreamStats>();
        stats.Enter(chat ? UpstreamRoute.ChatCompletions : UpstreamRoute.Completions);
        try
        {
            var request = await ReadRequestAsync(context);
            if (request is not { } parsed)
            {
                await WriteBadRequestAsync(context);
                return;
            }

            var options = context.RequestServices.GetRequiredService<FakeUpstreamOptions>();
            var payloads = context.RequestServices.GetRequiredService<UpstreamPayloads>();
            var aborted = context.RequestAborted;
            if (options.DelayMs > 0)
            {
                await Task.Delay(options.DelayMs, aborted);
            }

            if (parsed.Stream)
            {
                await StreamAsync(context, payloads, options, parsed, chat, aborted);
                return;
            }

            var response = context.Response;
            response.ContentType = "application/json";
            response.ContentLength = payloads.CompletionLength(chat, parsed.Model);
            payloads.WriteCompletion(response.BodyWriter, chat, parsed.Model);
            await response.BodyWriter.FlushAsync(aborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The caller hung up; nothing left to send.
        }
        finally
        {
            stats.Exit();
        }
    }

    private static async Task StreamAsync(
        HttpContext context,
        UpstreamPayloads payloads,
        FakeUpstreamOptions options,
        UpstreamRequest request,
        bool chat,
        CancellationToken aborted)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        await response.StartAsync(aborted);
        var writer = response.BodyWriter;
        for (var i = 0; i < payloads.StreamChunks; i++)
        {
            if (i > 0 && options.ChunkIntervalMs > 0)
            {
                await Task.Delay(options.ChunkIntervalMs, aborted);
            }

            payloads.WriteChunk(writer, chat, request.Model, i, request.IncludeUsage);
            await writer.FlushAsync(aborted);
        }

        if (request.IncludeUsage)
        {
            payloads.WriteUsageChunk(writer, chat, request.Model);
        }

        writer.Write(UpstreamPayloads.Done);
        await writer.FlushAsync(aborted);
    }

    private static async Task EmbedAsync(HttpContext context)
    {
        var stats = context.RequestServices.GetRequiredService<UpstreamStats>();
        stats.Enter(UpstreamRoute.Embeddings);
        try
        {
            var request = await ReadRequestAsync(context);
            if (request is not { } parsed)
            {
                await WriteBadRequestAsync(context);
                return;
            }

            var payloads = context.RequestServices.GetRequiredService<UpstreamPayloads>();
            var body = payloads.Embeddings(parsed.Model, parsed.InputCount, parsed.Base64);
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = body.Length;
            await context.Response.Body.WriteAsync(body, context.RequestAborted);
        }
        finally
        {
            stats.Exit();
        }
    }

    private static async Task ListModelsAsync(HttpContext context)
    {
        var stats = context.RequestServices.GetRequiredService<UpstreamStats>();
        stats.Enter(UpstreamRoute.Models);
        try
        {
            context.Response.ContentType = "application/json";
            context.Response.ContentLength = UpstreamPayloads.Models.Length;
            context.Response.BodyWriter.Write(UpstreamPayloads.Models);
            await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
        }
        finally
        {
            stats.Exit();
        }
    }

    private static Task WriteStatsAsync(HttpContext context)
    {
        var stats = context.RequestServices.GetRequiredService<UpstreamStats>();
        return context.Response.WriteAsJsonAsync(stats.Snapshot(), UpstreamJsonContext.Default.UpstreamStatsSnapshot, cancellationToken: context.RequestAborted);
    }

    private static IResult ResetStats(UpstreamStats stats)
    {
        stats.Reset();
        return TypedResults.NoContent();
    }

    /// <summary>Reads the whole body from the pipe and parses it in place; null when it is not JSON.</summary>
    private static async Task<UpstreamRequest?> ReadRequestAsync(HttpContext context)
    {
        var reader = context.Request.BodyReader;
        while (true)
        {
            var result = await reader.ReadAsync(context.RequestAborted);
            var buffer = result.Buffer;
            if (buffer.Length > MaxBodyBytes)
            {
                reader.AdvanceTo(buffer.End);
                return null;
            }

            if (result.IsCompleted)
            {
                var ok = UpstreamRequest.TryParse(buffer, out var request);
                reader.AdvanceTo(buffer.End);
                return ok ? request : null;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static Task WriteBadRequestAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        context.Response.Headers[HeaderNames.ContentType] = "application/json";
        return context.Response.WriteAsync(
            """{"error":{"message":"fake upstream: body is not a JSON object","type":"invalid_request_error","param":null,"code":null}}""",
            context.RequestAborted);
    }
}
