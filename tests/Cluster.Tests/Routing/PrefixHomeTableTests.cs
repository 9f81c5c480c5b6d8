using Cluster.Grains.Routing;
using Microsoft.Extensions.Time.Testing;

namespace Cluster.Tests.Routing;

/// <summary>The prefix-homes grain's table: bounded-load consistent hashing of new prefixes, adoption and expiry. No cluster.</summary>
[Trait("Category", "Unit")]
public sealed class PrefixHomeTableTests
{
    private static readonly string[] Four = ["d0", "d1", "d2", "d3"];
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 5, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Place_24PrefixesOnFourDeployments_SixHomesEach()
    {
        var table = new PrefixHomeTable(_time);

        // Every prefix prefers d0 first: unbounded, all 24 would live there.
        var homes = Enumerable.Range(0, 24).Select(a => table.Place((ulong)a, Candidates(Rotate(a / 12)))).ToList();

        Assert.All(Four, d => Assert.Equal(6, homes.Count(h => h == d)));
    }

    [Fact]
    public void Place_KnownPrefix_SameHomeWhateverTheOrder()
    {
        var table = new PrefixHomeTable(_time);
        var home = table.Place(42, Candidates(Four));

        Assert.Equal(home, table.Place(42, Candidates([.. Four.Reverse()])));
        Assert.Equal("d0", home);
    }

    [Fact]
    public void Place_HomeLeftTheModel_MovesToACandidate()
    {
        var table = new PrefixHomeTable(_time);
        Assert.Equal("d0", table.Place(7, Candidates(Four)));

        Assert.Equal("d1", table.Place(7, Candidates(["d1", "d2", "d3"])));
        Assert.Equal("d1", table.HomeOf(7));
    }

    [Fact]
    public void Place_OneHomeCarriesMostRequests_NewPrefixesGoElsewhere()
    {
        var table = new PrefixHomeTable(_time);
        string[] two = ["d0", "d1"];
        Assert.Equal("d0", table.Place(1, Candidates(two)));
        Assert.Equal("d1", table.Place(2, Candidates(two)));
        table.Record([new PrefixHomeUse(1, "d0", 1_000), new PrefixHomeUse(2, "d1", 10)]);

        // By count the next would be d0's turn; by load d0 already carries almost everything.
        Assert.Equal("d1", table.Place(3, Candidates(two)));
        Assert.Equal("d1", table.Place(4, Candidates(two)));
    }

    [Fact]
    public void Record_UnknownPrefix_AdoptedAsReported_KnownWithAnotherHome_Corrected()
    {
        var table = new PrefixHomeTable(_time);
        table.Place(1, Candidates(Four));

        var corrections = table.Record([new PrefixHomeUse(1, "d3", 5), new PrefixHomeUse(2, "d2", 5)]);

        Assert.Equal([new PrefixHomeUse(1, "d0", 0)], corrections);
        Assert.Equal("d2", table.HomeOf(2));
        Assert.Equal("d2", table.Place(2, Candidates(Four)));
    }

    [Fact]
    public void Sweep_HomeUnusedPastExpiry_Forgotten_UsedOneKept()
    {
        var table = new PrefixHomeTable(_time);
        table.Place(1, Candidates(Four));
        table.Place(2, Candidates(Four));

        _time.Advance(PrefixHomeTable.Expiry / 2);
        table.Record([new PrefixHomeUse(2, "d1", 1)]);
        _time.Advance((PrefixHomeTable.Expiry / 2) + TimeSpan.FromSeconds(1));
        table.Sweep(_time.GetTimestamp());

        Assert.Null(table.HomeOf(1));
        Assert.Equal("d1", table.HomeOf(2));
    }

    private static PrefixHomeCandidates Candidates(string[] order) => new(order, [.. order.Select(_ => 1)], 0.1);

    private static string[] Rotate(int by) => [.. Four.Skip(by % 4), .. Four.Take(by % 4)];
}
