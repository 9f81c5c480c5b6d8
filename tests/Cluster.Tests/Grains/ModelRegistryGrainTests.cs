using Cluster.Grains.Errors;
using Cluster.Grains.Models;
using Cluster.Tests.Support;

namespace Cluster.Tests.Grains;

[Collection(ClusterFixture.Name)]
public sealed class ModelRegistryGrainTests(ClusterFixture cluster)
{
    private static readonly ModelDefinition Alpha = ClusterFixture.Model("alpha", ["a"], ClusterFixture.Deployment("alpha-0", "echo", null));
    private static readonly ModelDefinition Beta = ClusterFixture.Model("beta", [], ClusterFixture.Deployment("beta-0", "openai", "http://127.0.0.1:1/v1"));
    private static readonly ModelDefinition Gamma = ClusterFixture.Model("gamma", ["g"], ClusterFixture.Deployment("gamma-0", "echo", null));

    [Fact]
    public async Task GetCatalog_NothingApplied_IsEmptyAtVersionZero()
    {
        var registry = cluster.NewRegistry();

        var catalog = await registry.GetCatalogAsync();

        Assert.Equal(0, catalog.Version);
        Assert.Empty(catalog.Models);
        Assert.Equal(0, await registry.GetVersionAsync());
    }

    [Fact]
    public async Task ApplyConfiguration_NewHash_CatalogHoldsTheModelsSortedWithCreationTime()
    {
        var registry = cluster.NewRegistry();

        await registry.ApplyConfigurationAsync([Beta, Alpha], "hash-1");
        var catalog = await registry.GetCatalogAsync();

        Assert.Equal(["alpha", "beta"], catalog.Models.Select(m => m.Name));
        Assert.Equal(["a"], catalog.Models[0].Aliases);
        Assert.Equal("alpha-0", Assert.Single(catalog.Models[0].Deployments).Id);
        Assert.All(catalog.Models, m => Assert.Equal(ModelSource.Configuration, m.Source));
        Assert.All(catalog.Models, m => Assert.True(m.Created > 0));
        Assert.True(catalog.Version > 0);
        Assert.Equal(catalog.Version, await registry.GetVersionAsync());
    }

    [Fact]
    public async Task ApplyConfiguration_SameHashAgain_IsANoOp()
    {
        var registry = cluster.NewRegistry();
        await registry.ApplyConfigurationAsync([Alpha], "hash-1");
        var before = await registry.GetCatalogAsync();

        await registry.ApplyConfigurationAsync([Alpha, Beta], "hash-1");
        var after = await registry.GetCatalogAsync();

        Assert.Equal(before.Version, after.Version);
        Assert.Equal(["alpha"], after.Models.Select(m => m.Name));
    }

    [Fact]
    public async Task ApplyConfiguration_DifferentHash_ReplacesConfiguredModelsButKeepsAdminOnes()
    {
        var registry = cluster.NewRegistry();
        await registry.ApplyConfigurationAsync([Alpha, Beta], "hash-1");
        await registry.UpsertAsync(Gamma);
        var before = await registry.GetCatalogAsync();

        await registry.ApplyConfigurationAsync([Beta with { OwnedBy = "someone-else" }], "hash-2");
        var after = await registry.GetCatalogAsync();

        Assert.Equal(["beta", "gamma"], after.Models.Select(m => m.Name));
        Assert.Equal("someone-else", after.Models[0].OwnedBy);
        Assert.Equal(ModelSource.Admin, after.Models[1].Source);
        Assert.True(after.Version > before.Version);

        // A model that stays configured keeps the creation time it was first given.
        Assert.Equal(before.Models.Single(m => m.Name == "beta").Created, after.Models[0].Created);
    }

    [Fact]
    public async Task Upsert_NewModel_IsAdminSourcedAndVisible()
    {
        var registry = cluster.NewRegistry();

        var returned = await registry.UpsertAsync(Gamma);
        var catalog = await registry.GetCatalogAsync();

        var gamma = Assert.Single(catalog.Models);
        Assert.Equal("gamma", gamma.Name);
        Assert.Equal(ModelSource.Admin, gamma.Source);
        Assert.Equal(catalog.Version, returned.Version);
        Assert.Equal(["gamma"], returned.Models.Select(m => m.Name));
    }

    [Fact]
    public async Task Upsert_AliasTakenByAnotherModel_ThrowsInvalidRequest()
    {
        var registry = cluster.NewRegistry();
        await registry.ApplyConfigurationAsync([Alpha], "hash-1");

        var error = await Assert.ThrowsAsync<GatewayException>(() => registry.UpsertAsync(Gamma with { Aliases = ["a"] }));

        Assert.Equal(GatewayErrorCode.InvalidRequest, error.Code);
        Assert.Equal(["alpha"], (await registry.GetCatalogAsync()).Models.Select(m => m.Name));
    }

    [Fact]
    public async Task Remove_ExistingModel_RemovesItAndBumpsVersion()
    {
        var registry = cluster.NewRegistry();
        await registry.ApplyConfigurationAsync([Alpha, Beta], "hash-1");
        var before = await registry.GetVersionAsync();

        var removed = await registry.RemoveAsync("alpha");

        Assert.True(removed);
        Assert.Equal(["beta"], (await registry.GetCatalogAsync()).Models.Select(m => m.Name));
        Assert.True(await registry.GetVersionAsync() > before);
    }

    [Fact]
    public async Task Remove_UnknownModel_ReturnsFalseAndLeavesVersion()
    {
        var registry = cluster.NewRegistry();
        await registry.ApplyConfigurationAsync([Alpha], "hash-1");
        var before = await registry.GetVersionAsync();

        Assert.False(await registry.RemoveAsync("nope"));
        Assert.Equal(before, await registry.GetVersionAsync());
    }

    [Fact]
    public async Task Version_EveryChange_GrowsStrictly()
    {
        var registry = cluster.NewRegistry();
        var versions = new List<long> { await registry.GetVersionAsync() };

        await registry.ApplyConfigurationAsync([Alpha], "hash-1");
        versions.Add(await registry.GetVersionAsync());
        await registry.UpsertAsync(Gamma);
        versions.Add(await registry.GetVersionAsync());
        await registry.ApplyConfigurationAsync([Beta], "hash-2");
        versions.Add(await registry.GetVersionAsync());
        await registry.RemoveAsync("gamma");
        versions.Add((await registry.GetCatalogAsync()).Version);

        for (var i = 1; i < versions.Count; i++)
        {
            Assert.True(versions[i] > versions[i - 1], $"Version did not grow at change {i}: {string.Join(", ", versions)}");
        }
    }
}
