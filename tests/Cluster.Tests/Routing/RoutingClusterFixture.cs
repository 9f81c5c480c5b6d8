using Cluster.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Cluster.Tests.Routing;

/// <summary>
/// The <c>routing grains</c> collection: an <see cref="InProcessCluster"/> of two silos whose grains
/// read one fake clock: circuit windows, cooldowns and session TTLs pass only when a test advances
/// it. Tests use fresh grain ids and only relative time.
/// </summary>
[CollectionDefinition(Name)]
public sealed class RoutingClusterFixture : InProcessClusterFixture, ICollectionFixture<RoutingClusterFixture>
{
    public const string Name = "routing grains";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2031, 6, 1, 12, 0, 0, TimeSpan.Zero));

    protected override InProcessClusterBuilder Build() => InProcessCluster.Create(silos: 2).WithFakeTime(_time);
}
