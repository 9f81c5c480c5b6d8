namespace Cluster.Grains.Limits;

/// <summary>
/// Amounts (requests or tokens) counted over the last minute in one-second slots. An amount added
/// during second <c>s</c> counts until <c>s + 61</c>, so it is counted for at least a full 60 s
/// whenever in that second it came: the window never admits more than its limit in any 60-second
/// span. Amounts can be adjusted later (refunds and charges at settlement) in the slot they were
/// added to.
/// </summary>
[GenerateSerializer, Alias("Cluster.SlidingWindow")]
public sealed class SlidingWindow
{
    public const int Slots = 61;

    [Id(0)] public long[] Seconds { get; set; } = new long[Slots];

    [Id(1)] public long[] Counts { get; set; } = new long[Slots];

    public long Sum(long now)
    {
        long sum = 0;
        for (var i = 0; i < Slots; i++)
        {
            if (Seconds[i] > now - Slots)
            {
                sum += Counts[i];
            }
        }

        return sum;
    }

    public void Add(long second, long amount)
    {
        var i = Index(second);
        if (Seconds[i] != second)
        {
            Seconds[i] = second;
            Counts[i] = 0;
        }

        Counts[i] += amount;
    }

    /// <summary>Changes what was added at <paramref name="second"/>, if that slot is still in the window.</summary>
    public void Adjust(long second, long delta, long now)
    {
        if (second <= now - Slots)
        {
            return;
        }

        var i = Index(second);
        if (Seconds[i] == second)
        {
            Counts[i] = Math.Max(0, Counts[i] + delta);
        }
        else if (delta > 0)
        {
            Add(second, delta);
        }
    }

    /// <summary>How long until <paramref name="amount"/> more fits under <paramref name="limit"/>.</summary>
    public TimeSpan TimeUntilFits(long amount, long limit, DateTimeOffset now)
    {
        var second = now.ToUnixTimeSeconds();
        var excess = Sum(second) + amount - limit;
        if (excess <= 0)
        {
            return TimeSpan.Zero;
        }

        for (var s = second - Slots + 1; s <= second; s++)
        {
            var i = Index(s);
            if (Seconds[i] == s)
            {
                excess -= Counts[i];
                if (excess <= 0)
                {
                    return Until(s + Slots, now);
                }
            }
        }

        return Until(second + Slots, now);
    }

    /// <summary>How long until everything now counted has left the window.</summary>
    public TimeSpan TimeUntilEmpty(DateTimeOffset now)
    {
        var second = now.ToUnixTimeSeconds();
        for (var s = second; s > second - Slots; s--)
        {
            var i = Index(s);
            if (Seconds[i] == s && Counts[i] > 0)
            {
                return Until(s + Slots, now);
            }
        }

        return TimeSpan.Zero;
    }

    private static int Index(long second) => (int)(((second % Slots) + Slots) % Slots);

    private static TimeSpan Until(long second, DateTimeOffset now)
    {
        var wait = DateTimeOffset.FromUnixTimeSeconds(second) - now;
        return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
    }
}
