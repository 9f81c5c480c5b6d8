using System.Buffers;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

namespace Cluster.Bench.Load;

/// <summary>Sends one request and times it; never throws for a failed request.</summary>
internal sealed class RequestSender(HttpClient client)
{
    private const int BufferSize = 16 * 1024;
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    public HttpClient Client => client;

    /// <summary>
    /// Sends <paramref name="profile"/>; latency counts from <paramref name="startTimestamp"/>, which an
    /// open loop sets to the scheduled time so that queueing in the client is not hidden.
    /// </summary>
    public async Task<RequestOutcome> SendAsync(RequestProfile profile, long startTimestamp, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, profile.Uri)
            {
                Content = new ByteArrayContent(profile.Body) { Headers = { ContentType = Json } },
            };
            if (profile.BearerToken is { } token)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            }

            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                var read = await ReadUpToAsync(body, buffer, cancellationToken);
                return RequestOutcome.Failed(status, Elapsed(startTimestamp), $"HTTP {status}: {Encoding.UTF8.GetString(buffer, 0, Math.Min(read, 400))}");
            }

            if (!profile.Stream)
            {
                while (await body.ReadAsync(buffer, cancellationToken) > 0)
                {
                }

                return new RequestOutcome(status, Elapsed(startTimestamp), -1, double.NaN, 0, null);
            }

            var clock = new SseEventClock();
            int count;
            while ((count = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                clock.Feed(buffer.AsSpan(0, count), Stopwatch.GetTimestamp());
            }

            var latency = Elapsed(startTimestamp);
            if (!clock.SawDone || clock.DataEvents == 0)
            {
                return RequestOutcome.Failed(status, latency, $"stream ended without data: [DONE] after {clock.DataEvents} data events");
            }

            return new RequestOutcome(status, latency, clock.FirstDataTimestamp - startTimestamp, clock.MeanGapTicks, clock.DataEvents, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return RequestOutcome.Failed(0, Elapsed(startTimestamp), $"{ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static long Elapsed(long startTimestamp) => Stopwatch.GetTimestamp() - startTimestamp;

    private static async Task<int> ReadUpToAsync(Stream body, byte[] buffer, CancellationToken cancellationToken)
    {
        var total = 0;
        int read;
        while (total < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0)
        {
            total += read;
        }

        return total;
    }
}
