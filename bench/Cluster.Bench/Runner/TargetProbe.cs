using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Cluster.Bench.Gateway;

namespace Cluster.Bench.Runner;

/// <summary>
/// One streamed and one non-streamed request before any timing, checked for shape, so a broken
/// target is reported as failed with its error instead of producing meaningless figures.
/// </summary>
internal static class TargetProbe
{
    public static async Task ProbeAsync(HttpClient client, BenchTarget target, CancellationToken cancellationToken)
    {
        try
        {
            target.Failure = await ProbeCompletionAsync(client, target, cancellationToken)
                ?? await ProbeStreamAsync(client, target, cancellationToken);
            if (target.Failure is null && target.BearerToken is not null)
            {
                await ProbeAdmissionAsync(client, target, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException && !cancellationToken.IsCancellationRequested)
        {
            target.Failure = $"probe request failed: {ex.GetType().Name}: {ex.Message}";
        }
    }

    private static async Task<string?> ProbeCompletionAsync(HttpClient client, BenchTarget target, CancellationToken cancellationToken)
    {
        var (status, body, _) = await SendAsync(client, target, stream: false, target.BearerToken, cancellationToken);
        if (status != 200)
        {
            return $"POST chat/completions → HTTP {status}: {Shorten(body)}";
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (!root.TryGetProperty("choices", out _))
            {
                return $"chat/completions answer has no choices: {Shorten(body)}";
            }

            if (!root.TryGetProperty("usage", out var usage) || !usage.TryGetProperty("total_tokens", out _))
            {
                target.Notes.Add("non-streamed answer has no usage.total_tokens");
            }

            if (root.TryGetProperty("model", out var model) && model.GetString() != GatewayConfigFile.PublicModel)
            {
                target.Notes.Add($"non-streamed answer names model '{model.GetString()}', not '{GatewayConfigFile.PublicModel}'");
            }
        }
        catch (JsonException ex)
        {
            return $"chat/completions answer is not JSON ({ex.Message}): {Shorten(body)}";
        }

        return null;
    }

    private static async Task<string?> ProbeStreamAsync(HttpClient client, BenchTarget target, CancellationToken cancellationToken)
    {
        var (status, body, _) = await SendAsync(client, target, stream: true, target.BearerToken, cancellationToken);
        if (status != 200)
        {
            return $"streamed chat/completions → HTTP {status}: {Shorten(body)}";
        }

        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Trim())
            .Where(e => e.StartsWith("data:", StringComparison.Ordinal))
            .Select(e => e[5..].Trim())
            .ToList();
        if (events.Count == 0 || events[^1] != "[DONE]")
        {
            return $"stream does not end with data: [DONE] ({events.Count} events): {Shorten(body)}";
        }

        var sawUsage = false;
        foreach (var data in events.Take(events.Count - 1))
        {
            try
            {
                using var document = JsonDocument.Parse(data);
                if (document.RootElement.TryGetProperty("error", out _))
                {
                    return $"stream carried an error event: {Shorten(data)}";
                }

                sawUsage |= document.RootElement.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object;
                if (document.RootElement.TryGetProperty("model", out var model) && model.GetString() != GatewayConfigFile.PublicModel
                    && !target.Notes.Exists(n => n.StartsWith("streamed chunks", StringComparison.Ordinal)))
                {
                    target.Notes.Add($"streamed chunks name model '{model.GetString()}', not '{GatewayConfigFile.PublicModel}'");
                }
            }
            catch (JsonException)
            {
                return $"stream event is not JSON: {Shorten(data)}";
            }
        }

        if (!sawUsage)
        {
            target.Notes.Add("stream_options.include_usage was sent but no usage chunk came back");
        }

        return null;
    }

    /// <summary>
    /// A keys-and-limits target must refuse a request without a key and report its limits in
    /// headers; when it does not, that part of the gateway is not there yet and the row says so.
    /// </summary>
    private static async Task ProbeAdmissionAsync(HttpClient client, BenchTarget target, CancellationToken cancellationToken)
    {
        var (status, _, _) = await SendAsync(client, target, stream: false, token: null, cancellationToken);
        if (status != 401)
        {
            target.Notes.Add($"a request without an API key was answered HTTP {status}, not 401: keys are not enforced yet, so this row does not measure admission");
        }

        var (_, _, headers) = await SendAsync(client, target, stream: false, target.BearerToken, cancellationToken);
        if (!headers.Contains("x-ratelimit-limit-requests"))
        {
            target.Notes.Add("no x-ratelimit-limit-requests header on an admitted request: limits do not seem to apply yet");
        }
    }

    private static async Task<(int Status, string Body, IReadOnlySet<string> HeaderNames)> SendAsync(
        HttpClient client,
        BenchTarget target,
        bool stream,
        string? token,
        CancellationToken cancellationToken)
    {
        var profile = target.Profile(stream) with { BearerToken = token };
        using var request = new HttpRequestMessage(HttpMethod.Post, profile.Uri)
        {
            Content = new ByteArrayContent(profile.Body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        if (profile.BearerToken is { } key)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        using var response = await client.SendAsync(request, timeout.Token);
        var body = Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync(timeout.Token));
        return ((int)response.StatusCode, body, response.Headers.Select(h => h.Key).ToHashSet(StringComparer.OrdinalIgnoreCase));
    }

    private static string Shorten(string text)
    {
        var flat = text.ReplaceLineEndings(" ").Trim();
        return flat.Length <= 300 ? flat : flat[..300] + "…";
    }
}
