using Cluster.Grains.Responses;
using Cluster.Grains.Runtime;
using Cluster.Grains.Sessions;
using Cluster.Tests.Support;
using Cluster.Tests.Support.InMemory;

namespace Cluster.Tests.Grains;

/// <summary><c>Get&lt;T&gt;(key)</c> is the reference <c>GetGrain&lt;T&gt;(key)</c> gives, from a silo and from a client, and calls reach the same grain.</summary>
[Collection(FakeTimeClusterFixture.Name)]
public sealed class GrainReferencesTests(FakeTimeClusterFixture fixture)
{
    [Fact]
    public async Task Get_SiloAndClientFactories_SameGrainAsGetGrain()
    {
        var now = fixture.Time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var grains in new IGrainFactory[] { fixture.SiloGrainFactories[0], fixture.Cluster.Client })
        {
            var id = "resp_" + Guid.NewGuid().ToString("N");
            var fast = grains.Get<IResponseGrain>(id);
            var usual = grains.GetGrain<IResponseGrain>(id);
            Assert.Equal(usual.GetGrainId(), fast.GetGrainId());
            Assert.Equal(usual, fast);

            await fast.StoreAsync(new StoredResponse("tenant", "{}", "[]", null, id, now, now + 60_000));
            Assert.Equal(id, (await usual.GetAsync("tenant"))!.ChainRoot);

            // Another interface on the same factory resolves its own types.
            Assert.Equal(grains.GetGrain<ISessionGrain>("s-" + id).GetGrainId(), grains.Get<ISessionGrain>("s-" + id).GetGrainId());
        }
    }

    [Fact]
    public void Get_NotAnOrleansFactory_AskedAsUsualWithoutAProbe()
    {
        var grains = new InMemoryGrainFactory().Register<ISessionGrain>(key => new InMemorySessionGrain(key));

        var session = grains.Get<ISessionGrain>("s-1");

        Assert.Same(grains.GetGrain<ISessionGrain>("s-1"), session);
        Assert.Equal(["s-1"], grains.Created<ISessionGrain>().Keys);
    }
}
