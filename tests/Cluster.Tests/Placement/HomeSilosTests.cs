using System.Net;
using Cluster.Grains.Placement;

namespace Cluster.Tests.Placement;

public sealed class HomeSilosTests
{
    private static readonly SiloAddress[] Three = [Silo(11111), Silo(11112), Silo(11113)];

    private static readonly GrainId[] Grains = [.. Enumerable.Range(0, 3000).Select(i => GrainId.Create("limiter", $"tenant/t{i}"))];

    [Fact]
    public void Choose_SameSilosInAnyOrder_SameHome()
    {
        SiloAddress[] reversed = [.. Three.Reverse()];
        Assert.All(Grains, grain => Assert.Equal(HomeSilos.Choose(grain, Three), HomeSilos.Choose(grain, reversed)));
    }

    [Fact]
    public void Choose_ThreeSilos_EachIsHomeToAboutAThird()
    {
        var counts = Grains.GroupBy(grain => HomeSilos.Choose(grain, Three)).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(3, counts.Count);
        Assert.All(counts.Values, count => Assert.InRange(count, Grains.Length * 0.28, Grains.Length * 0.39));
    }

    [Fact]
    public void Choose_SiloLeaves_OnlyItsGrainsMoveAndSpreadOverTheSurvivors()
    {
        SiloAddress[] survivors = [Three[0], Three[2]];
        var moved = new Dictionary<SiloAddress, int>();
        foreach (var grain in Grains)
        {
            var before = HomeSilos.Choose(grain, Three);
            var after = HomeSilos.Choose(grain, survivors);
            if (!before.Equals(Three[1]))
            {
                Assert.Equal(before, after);
            }
            else
            {
                moved[after] = moved.GetValueOrDefault(after) + 1;
            }
        }

        Assert.Equal(2, moved.Count);
        Assert.InRange(moved[Three[0]], moved.Values.Sum() * 0.4, moved.Values.Sum() * 0.6);
    }

    [Fact]
    public void Choose_SiloRestartedOnTheSameEndpoint_HomeToTheSameGrains()
    {
        SiloAddress[] restarted = [Three[0], SiloAddress.New(Three[1].Endpoint, Three[1].Generation + 1000), Three[2]];
        Assert.All(Grains, grain => Assert.Equal(HomeSilos.Choose(grain, Three).Endpoint, HomeSilos.Choose(grain, restarted).Endpoint));
    }

    [Fact]
    public void Choose_NoSilo_Throws() =>
        Assert.Throws<OrleansException>(() => HomeSilos.Choose(Grains[0], []));

    private static SiloAddress Silo(int port) => SiloAddress.New(new IPEndPoint(IPAddress.Loopback, port), 1);
}
