using Cluster.Grains.Access;
using Cluster.Grains.Models;
using Cluster.Relay.Views;
using Cluster.Tests.Support.InMemory;
using Microsoft.Extensions.Time.Testing;

namespace Cluster.Tests.Relay.Views;

/// <summary>The catalog and access views over their grains (in memory here). No cluster.</summary>
[Trait("Category", "Unit")]
public sealed class CatalogAndAccessViewTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly InMemoryModelRegistryGrain _registry = new();
    private readonly InMemoryAccessDirectoryGrain _directory = new();
    private readonly InMemoryGrainFactory _grains;

    public CatalogAndAccessViewTests()
    {
        _grains = new InMemoryGrainFactory()
            .Register<IModelRegistryGrain>(_ => _registry)
            .Register<IAccessDirectoryGrain>(_ => _directory);
    }

    [Fact]
    public async Task ModelCatalogView_ModelAddedElsewhere_FoundByAFreshLookup()
    {
        var view = new ModelCatalogView(_grains, _time);
        Assert.False((await view.GetAsync()).TryResolve("m", out _));

        _registry.Publish(UnitRelay.Model("m", UnitRelay.Deployment("d1")));

        Assert.False((await view.GetAsync()).TryResolve("m", out _));
        Assert.True((await view.GetFreshAsync()).TryResolve("m", out var model));
        Assert.Equal("d1", Assert.Single(model!.Deployments).Id);
    }

    [Fact]
    public async Task AccessView_TenantAddedElsewhere_FoundByAFreshLookupWithOneSnapshotRead()
    {
        var view = new AccessView(_grains, _time);
        Assert.Null((await view.GetAsync()).Tenant("acme"));

        _directory.Publish(new TenantDefinition("acme", ["*"], ScopeLimits.None, TenantQuotas.None, [], ModelSource.Admin, 0));

        Assert.NotNull((await view.GetFreshAsync()).Tenant("acme"));
        Assert.Equal(2, _directory.SnapshotReads);
    }
}
