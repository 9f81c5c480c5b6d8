using Cluster.Grains.Models;
using Cluster.Grains.Routing;
using Cluster.Relay.Routing;
using Cluster.Relay.Routing.Prefix;
using Cluster.Tests.Support.InMemory;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Cluster.Tests.Routing.Prefix;

/// <summary>Front-ends' cached views of the prefix homes, on one in-memory prefix-homes grain. No cluster.</summary>
[Trait("Category", "Unit")]
public sealed class PrefixHomesTests
{
    private static readonly ModelDefinition Model = UnitRelay.Model("m", UnitRelay.Deployment("d0"), UnitRelay.Deployment("d1"), UnitRelay.Deployment("d2"), UnitRelay.Deployment("d3"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 5, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task EnsureAsync_TwoFrontEndsInTurn_SameHomeForEveryPrefix_SixEach()
    {
        var grain = new SwitchableHomesGrain(_time);
        var grains = new InMemoryGrainFactory().Register<IPrefixHomesGrain>(_ => grain);
        PrefixHomes[] frontEnds = [FrontEnd(grains), FrontEnd(grains)];

        for (var anchor = 0UL; anchor < 24; anchor++)
        {
            await frontEnds[anchor % 2].EnsureAsync(Model, anchor, CancellationToken.None);
            await frontEnds[(anchor + 1) % 2].EnsureAsync(Model, anchor, CancellationToken.None);
        }

        var homes = Enumerable.Range(0, 24).Select(a => frontEnds[0].HomeOf("m", (ulong)a)).ToList();
        Assert.Equal(homes, Enumerable.Range(0, 24).Select(a => frontEnds[1].HomeOf("m", (ulong)a)));
        Assert.All(Model.Deployments, d => Assert.Equal(6, homes.Count(h => h == d.Id)));
    }

    [Fact]
    public async Task EnsureAsync_GrainDown_RendezvousFirstStandsIn_ThenReportedAndAdopted()
    {
        var grain = new SwitchableHomesGrain(_time) { Down = true };
        var grains = new InMemoryGrainFactory().Register<IPrefixHomesGrain>(_ => grain);
        var frontEnd = FrontEnd(grains);

        await frontEnd.EnsureAsync(Model, 99, CancellationToken.None);
        var standIn = frontEnd.HomeOf("m", 99);
        Assert.Equal(Rendezvous.Order(99, Model.Deployments)[0].Id, standIn);

        grain.Down = false;
        await frontEnd.ReportAsync();

        Assert.Equal(standIn, grain.Table.HomeOf(99));
    }

    [Fact]
    public async Task ReportAsync_FreshGrainAfterASiloLoss_LearnsTheHomesBack_OtherFrontEndsGetTheSame()
    {
        var grain = new SwitchableHomesGrain(_time);
        var grains = new InMemoryGrainFactory().Register<IPrefixHomesGrain>(_ => grain);
        var first = FrontEnd(grains);
        for (var anchor = 0UL; anchor < 24; anchor++)
        {
            await first.EnsureAsync(Model, anchor, CancellationToken.None);
            first.Count("m", anchor);
        }

        // The grain's silo died: a new activation starts empty and hears the first front-end's report.
        grain.Restart();
        await first.ReportAsync();
        Assert.Equal(24, grain.Table.Count);

        // Asked in another order, a fresh table would place differently; the adopted homes stand.
        var second = FrontEnd(grains);
        for (var anchor = 23L; anchor >= 0; anchor--)
        {
            await second.EnsureAsync(Model, (ulong)anchor, CancellationToken.None);
            Assert.Equal(first.HomeOf("m", (ulong)anchor), second.HomeOf("m", (ulong)anchor));
        }
    }

    [Fact]
    public async Task ReportAsync_HomeIdleWhileTheGrainRestarted_LearntBackByTheNextFullReport()
    {
        var grain = new SwitchableHomesGrain(_time);
        var grains = new InMemoryGrainFactory().Register<IPrefixHomesGrain>(_ => grain);
        var first = FrontEnd(grains);
        await first.EnsureAsync(Model, 7, CancellationToken.None);
        first.Count("m", 7);
        await first.ReportAsync();

        // The prefix goes quiet; the grain's silo dies and a new activation starts empty.
        grain.Restart();
        _time.Advance(TimeSpan.FromSeconds(1));
        await first.ReportAsync();
        Assert.Null(grain.Table.HomeOf(7));

        _time.Advance(PrefixHomes.FullReportPeriod);
        await first.ReportAsync();

        Assert.Equal(first.HomeOf("m", 7), grain.Table.HomeOf(7));
    }

    [Fact]
    public async Task ReportAsync_GrainHoldsAnotherHome_ViewCorrected()
    {
        var grain = new SwitchableHomesGrain(_time) { Down = true };
        var frontEnd = FrontEnd(new InMemoryGrainFactory().Register<IPrefixHomesGrain>(_ => grain));
        await frontEnd.EnsureAsync(Model, 5, CancellationToken.None);
        var standIn = frontEnd.HomeOf("m", 5)!;
        var other = Model.Deployments.First(d => d.Id != standIn).Id;

        // Meanwhile another front-end placed the prefix elsewhere.
        grain.Down = false;
        grain.Table.Record([new PrefixHomeUse(5, other, 1)]);
        await frontEnd.ReportAsync();

        Assert.Equal(other, frontEnd.HomeOf("m", 5));
    }

    private PrefixHomes FrontEnd(InMemoryGrainFactory grains) => new(grains, new RoutingOptions(), _time, NullLogger.Instance);

    /// <summary>The real table behind a grain that can be taken down.</summary>
    private sealed class SwitchableHomesGrain(TimeProvider time) : IPrefixHomesGrain
    {
        public PrefixHomeTable Table { get; private set; } = new(time);

        public bool Down { get; set; }

        public void Restart() => Table = new PrefixHomeTable(time);

        public Task<string> PlaceAsync(ulong anchor, PrefixHomeCandidates candidates) =>
            Down ? Task.FromException<string>(new TimeoutException("the grain's silo is gone")) : Task.FromResult(Table.Place(anchor, candidates));

        public Task<PrefixHomeUse[]> ReportAsync(PrefixHomeUse[] uses) =>
            Down ? Task.FromException<PrefixHomeUse[]>(new TimeoutException("the grain's silo is gone")) : Task.FromResult(Table.Record(uses));
    }
}
