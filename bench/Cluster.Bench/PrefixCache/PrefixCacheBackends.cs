using System.Globalization;
using System.Text;
using System.Text.Json;
using Cluster.Bench.Processes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Cluster.Bench.PrefixCache;

/// <summary>
/// Fake OpenAI backends with a simulated prefix cache each (<see cref="SimulatedPrefixCache"/>),
/// served by this process on one loopback port at <c>/b{i}/v1/chat/completions</c>. A request is
/// rendered as a chat template would ("role: content" per message), looked up in the backend's
/// cache, prefilled (time ∝ uncached tokens, one prefill at a time per backend), then streamed:
/// a fixed reply in <see cref="ReplyChunks"/> chunks, one per <c>--decode-ms</c>, and the usage
/// chunk with <c>prompt_tokens_details.cached_tokens</c>. Streams only: the bench sends nothing else.
/// </summary>
internal sealed class PrefixCacheBackends : IAsyncDisposable
{
    public const int ReplyChunks = 8;
    private readonly WebApplication _app;
    private readonly SimulatedPrefixCache[] _caches;
    private readonly double _decodeMs;

    private PrefixCacheBackends(WebApplication app, SimulatedPrefixCache[] caches, double decodeMs, int port)
    {
        _app = app;
        _caches = caches;
        _decodeMs = decodeMs;
        Port = port;
    }

    public int Port { get; }

    public int Count => _caches.Length;

    public string BaseUrl(int backend) => string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{Port}/b{backend}/v1");

    public static async Task<PrefixCacheBackends> StartAsync(int count, int cacheTokens, double prefillMsPerToken, double prefillBaseMs, double decodeMs)
    {
        var port = FreePorts.Next();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{port}"));
        var app = builder.Build();
        var caches = Enumerable.Range(0, count).Select(_ => new SimulatedPrefixCache(cacheTokens, prefillMsPerToken, prefillBaseMs)).ToArray();
        var backends = new PrefixCacheBackends(app, caches, decodeMs, port);
        app.MapPost("/b{backend:int}/v1/chat/completions", (HttpContext context, int backend) => backends.ServeAsync(context, backend));
        await app.StartAsync();
        return backends;
    }

    /// <summary>The busiest backend's share of the requests over the fair share (1.00: perfectly even).</summary>
    public double Imbalance
    {
        get
        {
            var counts = _caches.Select(c => c.Requests).ToArray();
            var total = counts.Sum();
            return total == 0 ? 0 : counts.Max() * (double)counts.Length / total;
        }
    }

    /// <summary>Requests admitted by all backends since the last <see cref="Clear"/>.</summary>
    public long Requests => _caches.Sum(c => c.Requests);

    /// <summary>Prefills that missed a shared prefix, all backends (warm-up included).</summary>
    public long ColdPrefills => _caches.Sum(c => c.ColdPrefills);

    /// <summary>Mean wait for a backend's prefill engine per request, in milliseconds (warm-up included).</summary>
    public double MeanPrefillWaitMs => Requests == 0 ? 0 : _caches.Sum(c => c.PrefillWait.TotalMilliseconds) / Requests;

    /// <summary>Empties every cache: each placement starts cold.</summary>
    public void Clear()
    {
        foreach (var cache in _caches)
        {
            cache.Clear();
        }
    }

    private async Task ServeAsync(HttpContext context, int backend)
    {
        if (backend < 0 || backend >= _caches.Length)
        {
            context.Response.StatusCode = 404;
            return;
        }

        var aborted = context.RequestAborted;
        using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: aborted);
        var cache = _caches[backend];
        var (promptTokens, cachedTokens) = cache.Admit(Render(body.RootElement));
        await cache.PrefillAsync(promptTokens - cachedTokens, aborted);

        var response = context.Response;
        response.ContentType = "text/event-stream";
        var model = body.RootElement.TryGetProperty("model", out var m) ? m.GetString() : "fake";
        for (var i = 0; i < ReplyChunks; i++)
        {
            if (i > 0)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(_decodeMs), aborted);
            }

            var finish = i == ReplyChunks - 1 ? "\"stop\"" : "null";
            await response.WriteAsync($$"""data: {"id":"chatcmpl-prefix","object":"chat.completion.chunk","created":0,"model":"{{model}}","choices":[{"index":0,"delta":{"content":"word{{i}} reply text "},"finish_reason":{{finish}}}]}{{"\n\n"}}""", aborted);
            await response.Body.FlushAsync(aborted);
        }

        var completionTokens = ReplyChunks * 4;
        var usage = string.Create(
            CultureInfo.InvariantCulture,
            $"\"prompt_tokens\":{promptTokens},\"completion_tokens\":{completionTokens},\"total_tokens\":{promptTokens + completionTokens},\"prompt_tokens_details\":{{\"cached_tokens\":{cachedTokens}}}");
        await response.WriteAsync("data: {\"id\":\"chatcmpl-prefix\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"" + model + "\",\"choices\":[],\"usage\":{" + usage + "}}\n\ndata: [DONE]\n\n", aborted);
    }

    /// <summary>The prompt as a chat template renders it: one "role: content" line per message.</summary>
    private static byte[] Render(JsonElement request)
    {
        var text = new StringBuilder();
        if (request.TryGetProperty("messages", out var messages))
        {
            foreach (var message in messages.EnumerateArray())
            {
                text.Append(message.GetProperty("role").GetString()).Append(": ").Append(message.GetProperty("content").GetString()).Append('\n');
            }
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
