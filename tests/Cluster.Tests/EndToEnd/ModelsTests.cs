using System.ClientModel;
using System.Net;
using Cluster.Tests.Contract;
using Cluster.Tests.Support;
using OpenAI.Models;

namespace Cluster.Tests.EndToEnd;

[Collection(GatewayFixture.Name)]
public sealed class ModelsTests(GatewayFixture gateway)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task GetModels_Sdk_ListsEveryModelAndAlias(bool v1)
    {
        OpenAIModelCollection models = await gateway.Models(v1).GetModelsAsync();

        var ids = models.Select(m => m.Id).ToList();
        Assert.Equal(ids.Distinct().Count(), ids.Count);
        Assert.Contains(GatewayFixture.FakeModel, ids);
        Assert.Contains(GatewayFixture.FakeAlias, ids);
        Assert.Contains(GatewayFixture.EchoModel, ids);
        Assert.Contains(GatewayFixture.MiniLmModel, ids);
        Assert.Contains(GatewayFixture.BrokenModel, ids);
        Assert.Equal(GatewayFixture.FakeOwner, models.Single(m => m.Id == GatewayFixture.FakeAlias).OwnedBy);
        Assert.Equal(GatewayFixture.FakeOwner, models.Single(m => m.Id == GatewayFixture.FakeModel).OwnedBy);
        Assert.All(models, m => Assert.True(m.CreatedAt > DateTimeOffset.UnixEpoch));
    }

    [Fact]
    public async Task GetModel_SdkWithAlias_ReturnsModelNamedAsAsked()
    {
        OpenAIModel model = await gateway.Models().GetModelAsync(GatewayFixture.FakeAlias);

        Assert.Equal(GatewayFixture.FakeAlias, model.Id);
        Assert.Equal(GatewayFixture.FakeOwner, model.OwnedBy);
    }

    [Fact]
    public async Task GetModel_SdkWithUnknownId_Throws404()
    {
        var error = await Assert.ThrowsAsync<ClientResultException>(() => gateway.Models().GetModelAsync("no-such-model"));

        Assert.Equal(404, error.Status);
    }

    [Theory]
    [InlineData("/v1/models")]
    [InlineData("/models")]
    public async Task GetModels_Raw_BodyMatchesContract(string path)
    {
        var response = await gateway.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("application/json", response.ContentType);
        OpenApiContract.AssertValid("ListModelsResponse", response.Body);
        Assert.Contains(response.Json["data"]!.AsArray(), m => m!["id"]!.GetValue<string>() == GatewayFixture.FakeAlias);
    }

    [Theory]
    [InlineData("/v1/models/fake", "fake")]
    [InlineData("/models/fake-alias", "fake-alias")]
    [InlineData("/v1/models/echo", "echo")]
    public async Task GetModel_Raw_BodyMatchesContract(string path, string id)
    {
        var response = await gateway.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.Status);
        OpenApiContract.AssertValid("Model", response.Body);
        Assert.Equal(id, response.Json["id"]!.GetValue<string>());
        Assert.Equal("model", response.Json["object"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/v1/models/unknown")]
    [InlineData("/models/unknown")]
    public async Task GetModel_UnknownId_Returns404ModelNotFound(string path)
    {
        var response = await gateway.GetAsync(path);

        ErrorAssert.Matches(response, HttpStatusCode.NotFound, "invalid_request_error", "model_not_found", "model");
    }

    [Fact]
    public async Task GetModel_IdWithSlash_ReturnsThatModel()
    {
        var raw = await gateway.GetAsync("/v1/models/" + GatewayFixture.SlashedAlias);
        OpenAIModel viaSdk = await gateway.Models().GetModelAsync(GatewayFixture.SlashedAlias);

        Assert.Equal(HttpStatusCode.OK, raw.Status);
        OpenApiContract.AssertValid("Model", raw.Body);
        Assert.Equal(GatewayFixture.SlashedAlias, raw.Json["id"]!.GetValue<string>());
        Assert.Equal(GatewayFixture.SlashedAlias, viaSdk.Id);
    }
}
