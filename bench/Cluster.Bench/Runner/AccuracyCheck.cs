using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Cluster.Bench.Gateway;
using Cluster.Bench.Upstream;
using Cluster.Bench.Reporting;

namespace Cluster.Bench.Runner;

/// <summary>
/// Sends 500 concurrent requests to a tenant allowed 100 a minute, counts what reached the fake
/// upstream, waits out the window, and does it again: admitted / limit must be exactly 1.00.
/// </summary>
internal sealed class AccuracyCheck(HttpClient client, FakeUpstreamClient upstream)
{
    public const int BurstSize = 500;

    /// <summary>A full RPM window plus slack, whatever algorithm (fixed, sliding, bucket) the gateway uses.</summary>
    private static readonly TimeSpan MinimumWait = TimeSpan.FromSeconds(62);

    private static readonly TimeSpan MaximumWait = TimeSpan.FromSeconds(125);

    public async Task<AccuracyResult> RunAsync(GatewayInstance gateway, CancellationToken cancellationToken)
    {
        var limit = gateway.Variant.Rpm;
        var bursts = new List<AccuracyBurst>();
        var firstStart = Stopwatch.GetTimestamp();
        var first = await BurstAsync("burst 1", gateway, 0, cancellationToken);
        bursts.Add(first);
        Progress.Line(Describe(first, limit));
        if (first.Ok == 0 && first.Rejected == 0)
        {
            return new AccuracyResult(limit, bursts, $"no request was answered 200 or 429: {first.OtherError}");
        }

        if (first.Rejected == 0)
        {
            return new AccuracyResult(limit, bursts, $"no request of {BurstSize} was refused with 429: the limit is not enforced; the second burst was skipped");
        }

        // Retry-After counts from each refusal, all of which came before the burst ended: waiting
        // that long from the end is enough whatever window the limiter keeps.
        var wait = MinimumWait;
        if (first.RetryAfterSeconds is { } retry)
        {
            var afterRetry = Stopwatch.GetElapsedTime(firstStart) + TimeSpan.FromSeconds(retry + 1);
            wait = afterRetry > wait ? afterRetry : wait;
        }

        wait = wait > MaximumWait ? MaximumWait : wait;
        var remaining = wait - Stopwatch.GetElapsedTime(firstStart);
        Progress.Line($"accuracy: waiting {remaining.TotalSeconds:0} s for the window to pass (Retry-After {first.RetryAfterSeconds?.ToString("0.#", CultureInfo.InvariantCulture) ?? "absent"})…");
        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining, cancellationToken);
        }

        var second = await BurstAsync("burst 2, next window", gateway, Stopwatch.GetElapsedTime(firstStart).TotalSeconds, cancellationToken);
        bursts.Add(second);
        Progress.Line(Describe(second, limit));
        return new AccuracyResult(limit, bursts, null);
    }

    public static string Describe(AccuracyBurst burst, long limit) => string.Create(
        CultureInfo.InvariantCulture,
        $"accuracy {burst.Label}: sent {burst.Sent}, admitted at upstream {burst.Admitted}, admitted/limit {(double)burst.Admitted / limit:0.00}, 200 {burst.Ok}, 429 {burst.Rejected}, other {burst.OtherErrors}, all answered in {burst.DurationSeconds:0.0} s");

    private async Task<AccuracyBurst> BurstAsync(string label, GatewayInstance gateway, double waited, CancellationToken cancellationToken)
    {
        await upstream.ResetAsync(cancellationToken);
        var uri = new Uri(gateway.BaseUri, "chat/completions");
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var began = Stopwatch.GetTimestamp();
        var sends = Enumerable.Range(0, BurstSize).Select(async _ =>
        {
            await start.Task;
            return await SendAsync(uri, gateway.Variant.BearerToken, cancellationToken);
        }).ToArray();
        start.SetResult();
        var outcomes = await Task.WhenAll(sends);
        var duration = Stopwatch.GetElapsedTime(began).TotalSeconds;

        // Let requests the gateway admitted but had not yet forwarded reach the upstream.
        await Task.Delay(300, cancellationToken);
        var stats = await upstream.GetStatsAsync(cancellationToken);
        var rejected = outcomes.Where(o => o.Status == 429).ToList();
        return new AccuracyBurst(
            label,
            BurstSize,
            stats.ChatCompletions,
            outcomes.Count(o => o.Status == 200),
            rejected.Count,
            outcomes.Count(o => o.Status is not 200 and not 429),
            outcomes.FirstOrDefault(o => o.Status is not 200 and not 429).Error,
            rejected.Select(o => o.RetryAfter).Where(r => r is not null).Max(),
            outcomes.Select(o => o.ResetRequests).FirstOrDefault(r => r is not null),
            rejected.All(o => o.RetryAfter is not null),
            waited,
            duration);
    }

    private async Task<(int Status, double? RetryAfter, string? ResetRequests, string? Error)> SendAsync(Uri uri, string? token, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, uri)
            {
                Content = new ByteArrayContent(BenchRequests.Chat) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
            };
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            using var response = await client.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            var retryAfter = response.Headers.RetryAfter switch
            {
                { Delta: { } delta } => delta.TotalSeconds,
                { Date: { } date } => (date - DateTimeOffset.UtcNow).TotalSeconds,
                _ => (double?)null,
            };
            var reset = response.Headers.TryGetValues("x-ratelimit-reset-requests", out var values) ? values.FirstOrDefault() : null;
            var status = (int)response.StatusCode;
            return (status, retryAfter, reset, status is 200 or 429 ? null : $"HTTP {status}: {body[..Math.Min(body.Length, 300)]}");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException && !cancellationToken.IsCancellationRequested)
        {
            return (0, null, null, $"{ex.GetType().Name}: {ex.Message}");
        }
    }
}
