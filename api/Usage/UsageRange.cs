using System.Globalization;
using Cluster.Grains.Errors;

namespace Cluster.Api.Usage;

/// <summary>The UTC days a usage query covers (<c>from</c>, <c>to</c> as yyyy-MM-dd; the last 7 days by default).</summary>
internal sealed record UsageRange(DateOnly From, DateOnly To)
{
    public const int MaxDays = 92;

    public IEnumerable<DateOnly> Days()
    {
        for (var day = From; day <= To; day = day.AddDays(1))
        {
            yield return day;
        }
    }

    public static UsageRange Read(HttpRequest request, TimeProvider time)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var from = Day(request, "from") ?? today.AddDays(-6);
        var to = Day(request, "to") ?? today;
        if (to < from)
        {
            throw GatewayException.BadRequest("'to' is before 'from'.", "to");
        }

        if (to.DayNumber - from.DayNumber + 1 > MaxDays)
        {
            throw GatewayException.BadRequest($"A usage query covers at most {MaxDays} days.", "from");
        }

        return new UsageRange(from, to);
    }

    private static DateOnly? Day(HttpRequest request, string name)
    {
        var text = request.Query[name].ToString();
        if (text.Length == 0)
        {
            return null;
        }

        return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day
            : throw GatewayException.BadRequest($"'{name}' must be a date as yyyy-MM-dd.", name);
    }
}
