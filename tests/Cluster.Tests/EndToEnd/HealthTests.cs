using System.Net;
using Cluster.Tests.Support;

namespace Cluster.Tests.EndToEnd;

[Collection(GatewayFixture.Name)]
public sealed class HealthTests(GatewayFixture gateway)
{
    [Theory]
    [InlineData("/health/live")]
    [InlineData("/v1/health/live")]
    public async Task GetLive_RunningGateway_Returns200(string path)
    {
        var response = await gateway.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("live", response.Json["status"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/health/ready")]
    [InlineData("/v1/health/ready")]
    public async Task GetReady_ClusterAnswering_Returns200WithCatalogVersion(string path)
    {
        var response = await gateway.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.Equal("ready", response.Json["status"]!.GetValue<string>());
        Assert.True(response.Json["catalog_version"]!.GetValue<long>() >= 1);
    }
}
