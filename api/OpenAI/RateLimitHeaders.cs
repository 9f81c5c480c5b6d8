using System.Globalization;
using System.Text;
using Cluster.Grains.Limits;

namespace Cluster.Api.OpenAI;

/// <summary>Writes OpenAI's <c>x-ratelimit-*</c> headers, with resets in OpenAI's duration format (<c>1s</c>, <c>6m0s</c>, <c>250ms</c>).</summary>
internal static class RateLimitHeaders
{
    public static void Write(HttpResponse response, RateLimitStatus? status)
    {
        if (status is null)
        {
            return;
        }

        var headers = response.Headers;
        if (status.LimitRequests is { } limitRequests)
        {
            headers["x-ratelimit-limit-requests"] = limitRequests.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-remaining-requests"] = (status.RemainingRequests ?? 0).ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-reset-requests"] = Duration(status.ResetRequests ?? TimeSpan.Zero);
        }

        if (status.LimitTokens is { } limitTokens)
        {
            headers["x-ratelimit-limit-tokens"] = limitTokens.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-remaining-tokens"] = (status.RemainingTokens ?? 0).ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-reset-tokens"] = Duration(status.ResetTokens ?? TimeSpan.Zero);
        }
    }

    public static string Duration(TimeSpan value)
    {
        if (value < TimeSpan.FromSeconds(1))
        {
            return string.Create(CultureInfo.InvariantCulture, $"{(int)Math.Ceiling(value.TotalMilliseconds)}ms");
        }

        var text = new StringBuilder();
        if (value.TotalHours >= 1)
        {
            text.Append(CultureInfo.InvariantCulture, $"{(int)value.TotalHours}h");
        }

        if (value.TotalMinutes >= 1)
        {
            text.Append(CultureInfo.InvariantCulture, $"{value.Minutes}m");
        }

        var seconds = value.Seconds + (value.Milliseconds / 1000.0);
        text.Append(seconds.ToString("0.###", CultureInfo.InvariantCulture)).Append('s');
        return text.ToString();
    }
}
