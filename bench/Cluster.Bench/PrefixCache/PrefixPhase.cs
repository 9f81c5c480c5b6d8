using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Cluster.Bench.PrefixCache;

/// <summary>
/// Runs the workload for one placement: <c>workers</c> closed-loop clients, each running
/// conversations turn after turn (streamed, with usage asked for) until the time is up. Requests
/// started during the warm-up are sent but not counted, so every placement is measured on caches
/// it has filled itself.
/// </summary>
internal sealed class PrefixPhase(HttpClient client, PrefixWorkload workload, PrefixCacheBackends backends, IReadOnlyList<Uri> frontEnds)
{
    private readonly Lock _lock = new();
    private readonly List<long> _ttft = [];
    private int _requests;
    private int _errors;
    private long _promptTokens;
    private long _cachedTokens;
    private string? _firstError;
    private int _sent;

    public async Task<PrefixPhaseResult> RunAsync(PrefixPlacement placement, int workers, TimeSpan duration, TimeSpan warmup)
    {
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(w => WorkerAsync(placement, w, started, duration, warmup)));
        var measured = (duration - warmup).TotalSeconds;
        var ttft = Load.Percentiles.FromTicks(_ttft);
        return new PrefixPhaseResult(placement, _requests, _errors, _promptTokens, _cachedTokens, ttft?.P50 ?? 0, ttft?.P90 ?? 0, _requests / measured, _firstError);
    }

    private async Task WorkerAsync(PrefixPlacement placement, int worker, long started, TimeSpan duration, TimeSpan warmup)
    {
        // The same seed for every placement: the same tenants and messages in the same order.
        var random = new Random(7_919 * (worker + 1));
        while (Stopwatch.GetElapsedTime(started) < duration)
        {
            var tenant = random.Next(workload.Tenants);
            var conversation = Guid.NewGuid().ToString("N");
            var messages = new List<(string Role, string Content)> { ("system", workload.System(tenant)) };
            for (var turn = 0; turn < workload.Turns && Stopwatch.GetElapsedTime(started) < duration; turn++)
            {
                messages.Add(("user", workload.User(random)));
                var counted = Stopwatch.GetElapsedTime(started) >= warmup;
                var reply = await SendAsync(placement, tenant, conversation, messages, counted);
                if (reply is null)
                {
                    break;
                }

                messages.Add(("assistant", reply));
            }
        }
    }

    private async Task<string?> SendAsync(PrefixPlacement placement, int tenant, string conversation, List<(string Role, string Content)> messages, bool counted)
    {
        Uri url;
        string model;
        if (placement.Direct)
        {
            url = new Uri(backends.BaseUrl(tenant % backends.Count) + "/chat/completions");
            model = "fake";
        }
        else
        {
            var frontEnd = frontEnds[(int)((uint)Interlocked.Increment(ref _sent) % (uint)placement.FrontEnds)];
            url = new Uri(frontEnd, "chat/completions");
            model = placement.Ideal ? PrefixPlacement.IdealModelPrefix + (tenant % backends.Count).ToString(System.Globalization.CultureInfo.InvariantCulture) : placement.Model!;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(Body(model, messages)) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (placement.Sessions)
        {
            request.Headers.Add("x-session-id", conversation);
        }

        var sent = Stopwatch.GetTimestamp();
        long? firstToken = null;
        int prompt = 0, cached = 0;
        var reply = new StringBuilder();
        try
        {
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }

            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            var done = false;
            while (await reader.ReadLineAsync() is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    continue;
                }

                if (line == "data: [DONE]")
                {
                    done = true;
                    break;
                }

                using var chunk = JsonDocument.Parse(line.AsMemory(6));
                var root = chunk.RootElement;
                if (root.TryGetProperty("error", out var error))
                {
                    throw new InvalidOperationException("stream error: " + error.GetRawText());
                }

                if (root.TryGetProperty("choices", out var choices) && choices.GetArrayLength() > 0
                    && choices[0].TryGetProperty("delta", out var delta) && delta.TryGetProperty("content", out var content) && content.GetString() is { Length: > 0 } text)
                {
                    firstToken ??= Stopwatch.GetTimestamp() - sent;
                    reply.Append(text);
                }

                if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
                {
                    prompt = usage.GetProperty("prompt_tokens").GetInt32();
                    cached = usage.TryGetProperty("prompt_tokens_details", out var details) && details.TryGetProperty("cached_tokens", out var c) ? c.GetInt32() : 0;
                }
            }

            if (!done || firstToken is null || prompt == 0)
            {
                throw new InvalidOperationException($"incomplete stream (done {done}, first token {firstToken is not null}, usage {prompt > 0})");
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or InvalidOperationException or JsonException or IOException or TaskCanceledException)
        {
            lock (_lock)
            {
                _errors++;
                _firstError ??= ex.Message.Length > 300 ? ex.Message[..300] : ex.Message;
            }

            return null;
        }

        if (counted)
        {
            lock (_lock)
            {
                _requests++;
                _promptTokens += prompt;
                _cachedTokens += cached;
                _ttft.Add(firstToken.Value);
            }
        }

        return reply.ToString();
    }

    private static byte[] Body(string model, List<(string Role, string Content)> messages)
    {
        var json = new StringBuilder(64 + messages.Sum(m => m.Content.Length + 32));
        json.Append("{\"model\":").Append(JsonSerializer.Serialize(model))
            .Append(",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"max_tokens\":64,\"messages\":[");
        for (var i = 0; i < messages.Count; i++)
        {
            json.Append(i == 0 ? "" : ",").Append("{\"role\":\"").Append(messages[i].Role).Append("\",\"content\":").Append(JsonSerializer.Serialize(messages[i].Content)).Append('}');
        }

        return Encoding.UTF8.GetBytes(json.Append("]}").ToString());
    }
}
