using Cluster.Grains.Limits;

namespace Cluster.Tests.Limits;

/// <summary>The one-minute window in one-second slots: what it counts, when it refills, and what Retry-After it gives.</summary>
[Trait("Category", "Unit")]
public sealed class SlidingWindowTests
{
    private const long Second = 1_900_000_000;

    [Fact]
    public void Sum_AmountAddedInASecond_CountsFor61SecondsThenLeaves()
    {
        var window = new SlidingWindow();
        window.Add(Second, 3);
        window.Add(Second, 2);

        Assert.Equal(5, window.Sum(Second));
        Assert.Equal(5, window.Sum(Second + 60));
        Assert.Equal(0, window.Sum(Second + 61));
    }

    [Fact]
    public void Sum_SlotReusedAfterAFullTurn_StartsFromZero()
    {
        var window = new SlidingWindow();
        window.Add(Second, 7);

        // The same slot, one turn of the ring later: the old amount is gone, not added to.
        window.Add(Second + SlidingWindow.Slots, 1);

        Assert.Equal(1, window.Sum(Second + SlidingWindow.Slots));
    }

    [Fact]
    public void Sum_AmountsOverManySeconds_CountsOnlyThoseInTheWindow()
    {
        var window = new SlidingWindow();
        for (var s = 0; s < 100; s++)
        {
            window.Add(Second + s, 1);
        }

        Assert.Equal(61, window.Sum(Second + 99));
        Assert.Equal(0, window.Sum(Second + 99 + 61));
    }

    [Fact]
    public void TimeUntilFits_WindowFull_IsWhenEnoughOfTheOldestSecondsHaveLeft()
    {
        var window = new SlidingWindow();
        window.Add(Second, 30);
        window.Add(Second + 10, 30);
        window.Add(Second + 20, 30);
        var now = At(Second + 30, milliseconds: 400);

        Assert.Equal(TimeSpan.Zero, window.TimeUntilFits(10, 100, now));
        Assert.Equal(TimeSpan.FromMilliseconds(30_600), window.TimeUntilFits(11, 100, now));
        Assert.Equal(TimeSpan.FromMilliseconds(30_600), window.TimeUntilFits(40, 100, now));
        Assert.Equal(TimeSpan.FromMilliseconds(40_600), window.TimeUntilFits(41, 100, now));
        Assert.Equal(TimeSpan.FromMilliseconds(50_600), window.TimeUntilFits(100, 100, now));
    }

    [Fact]
    public void TimeUntilFits_AtTheLastMillisecond_IsOneMillisecond()
    {
        var window = new SlidingWindow();
        window.Add(Second, 1);

        Assert.Equal(TimeSpan.FromMilliseconds(1), window.TimeUntilFits(1, 1, At(Second + 60, milliseconds: 999)));
        Assert.Equal(TimeSpan.Zero, window.TimeUntilFits(1, 1, At(Second + 61, milliseconds: 0)));
    }

    [Fact]
    public void TimeUntilEmpty_SeveralSeconds_IsWhenTheNewestLeaves()
    {
        var window = new SlidingWindow();
        window.Add(Second, 5);
        window.Add(Second + 12, 5);

        Assert.Equal(TimeSpan.FromMilliseconds(47_750), window.TimeUntilEmpty(At(Second + 25, milliseconds: 250)));
        Assert.Equal(TimeSpan.Zero, window.TimeUntilEmpty(At(Second + 73, milliseconds: 0)));
    }

    [Fact]
    public void Adjust_RefundAndCharge_ChangeTheSecondTheyWereAddedTo()
    {
        var window = new SlidingWindow();
        window.Add(Second, 100);
        window.Add(Second + 5, 50);

        window.Adjust(Second, -70, now: Second + 10);
        Assert.Equal(80, window.Sum(Second + 10));

        window.Adjust(Second + 5, 25, now: Second + 10);
        Assert.Equal(105, window.Sum(Second + 10));

        // The refunded and charged amounts leave with their seconds.
        Assert.Equal(75, window.Sum(Second + 61));
        Assert.Equal(0, window.Sum(Second + 66));
    }

    [Fact]
    public void Adjust_RefundLargerThanTheSlot_StopsAtZero()
    {
        var window = new SlidingWindow();
        window.Add(Second, 10);
        window.Add(Second + 1, 10);

        window.Adjust(Second, -50, now: Second + 2);

        Assert.Equal(10, window.Sum(Second + 2));
    }

    [Fact]
    public void Adjust_SecondAlreadyOutOfTheWindow_ChangesNothing()
    {
        var window = new SlidingWindow();
        window.Add(Second, 10);
        window.Add(Second + SlidingWindow.Slots, 4);

        // A late settlement of a request admitted a minute ago must not touch the slot's new second.
        window.Adjust(Second, 1000, now: Second + SlidingWindow.Slots);
        window.Adjust(Second, -1000, now: Second + SlidingWindow.Slots);

        Assert.Equal(4, window.Sum(Second + SlidingWindow.Slots));
    }

    private static DateTimeOffset At(long second, int milliseconds) =>
        DateTimeOffset.FromUnixTimeSeconds(second).AddMilliseconds(milliseconds);
}
