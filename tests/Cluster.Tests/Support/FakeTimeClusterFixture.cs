using Microsoft.Extensions.Time.Testing;

namespace Cluster.Tests.Support;

/// <summary>
/// The <c>fake-time cluster</c> collection: an <see cref="InProcessCluster"/> of two silos whose
/// grains see one shared fake clock (limit windows, lease lifetimes and grain timers move only when
/// a test advances it), and whose storage can be told to fail a write after applying it
/// (<see cref="StorageFaults"/>). The tests of the collection run one after the other, since they
/// share the clock.
/// </summary>
[CollectionDefinition(Name)]
public sealed class FakeTimeClusterFixture : InProcessClusterFixture, ICollectionFixture<FakeTimeClusterFixture>
{
    public const string Name = "fake-time cluster";

    /// <summary>The last day of a month, late: a test that reaches the next day also crosses into the next month.</summary>
    private static readonly DateTimeOffset Start = new(2031, 3, 31, 21, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _time = new(Start);

    public StorageFaults StorageFaults { get; } = new();

    /// <summary>Moves the clock to <paramref name="offset"/> past the next whole second, so slot boundaries are known.</summary>
    public DateTimeOffset AlignToSecond(TimeSpan offset)
    {
        var now = Time.GetUtcNow();
        var next = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds() + 1) + offset;
        Time.Advance(next - now);
        return next;
    }

    protected override InProcessClusterBuilder Build() =>
        InProcessCluster.Create(silos: 2).WithFakeTime(_time).WithStorageFaults(StorageFaults);
}
