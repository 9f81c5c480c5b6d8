using System.Text.Json;
using Cluster.Grains.Models;
using Cluster.Hosting.Configuration;
using Microsoft.Extensions.Configuration;

namespace Cluster.Tests.Configuration;

/// <summary>A deployment's <c>Provider</c> and a model's <c>Routing</c>: enums written by their documented names. No cluster.</summary>
[Trait("Category", "Unit")]
public sealed class CatalogChoicesTests
{
    [Theory]
    [InlineData("Models:0:Deployments:0:Provider", "bogus", "openai, azure-openai, echo, local-embeddings")]
    [InlineData("Models:0:Deployments:0:Provider", "EchoProvider", "openai, azure-openai, echo, local-embeddings")]
    [InlineData("Models:0:Routing", "fastest", "prefix-aware, least-inflight, round-robin, weighted, latency")]
    [InlineData("Models:0:Routing", "RoundRobin", "prefix-aware, least-inflight, round-robin, weighted, latency")]
    public void ValidateAll_UnknownName_OneErrorNamingTheKeyAndTheNames(string key, string value, string allowed)
    {
        var errors = ClusterConfigurationValidator.ValidateAll(Config(new()
        {
            ["Models:0:Name"] = "echo",
            ["Models:0:Deployments:0:Provider"] = "echo",
            [key] = value,
        }));

        Assert.Equal([$"{key}: '{value}' is not one of {allowed}."], errors);
    }

    [Fact]
    public void ValidateAll_UnknownProviderBesideOtherProblems_ReportsEveryOne()
    {
        var errors = ClusterConfigurationValidator.ValidateAll(Config(new()
        {
            ["Models:0:Name"] = "echo",
            ["Models:0:Deployments:0:Provider"] = "bogus",
            ["Models:1:Name"] = "plain",
            ["Models:1:Deployments:0:Provider"] = "openai",
            ["Usage:LedgerShards"] = "0",
        }));

        Assert.Equal(3, errors.Count);
        Assert.Contains("Models:0:Deployments:0:Provider: 'bogus' is not one of openai, azure-openai, echo, local-embeddings.", errors);
        Assert.Contains(errors, e => e.StartsWith("Models:1:Deployments:0:BaseUrl:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Usage:LedgerShards:", StringComparison.Ordinal));
    }

    [Fact]
    public void ValidateAll_MissingProvider_ErrorNamesTheKey()
    {
        var errors = ClusterConfigurationValidator.ValidateAll(Config(new()
        {
            ["Models:0:Name"] = "echo",
            ["Models:0:Deployments:0:Id"] = "e",
        }));

        Assert.Equal(["Models:0:Deployments:0:Provider: '' is not one of openai, azure-openai, echo, local-embeddings."], errors);
    }

    [Fact]
    public void ToDefinitions_NamesInAnyCase_StoredByTheirDocumentedNames()
    {
        var configuration = Config(new()
        {
            ["Models:0:Name"] = "m",
            ["Models:0:Routing"] = "Round-Robin",
            ["Models:0:Deployments:0:Provider"] = "AZURE-OPENAI",
            ["Models:0:Deployments:0:BaseUrl"] = "http://127.0.0.1:1",
            ["Models:0:Deployments:0:UpstreamModel"] = "gpt",
            ["Models:0:Deployments:0:ApiVersion"] = "2024-10-21",
            ["Models:0:Deployments:1:Provider"] = "local-embeddings",
            ["Models:1:Name"] = "n",
            ["Models:1:Deployments:0:Provider"] = "Echo",
        });
        Assert.Empty(ClusterConfigurationValidator.ValidateAll(configuration));

        var options = configuration.Get<CatalogOptions>()!;
        Assert.Equal(ModelRouting.RoundRobin, options.Models[0].Routing);
        Assert.Equal(DeploymentProvider.AzureOpenAI, options.Models[0].Deployments[0].Provider);
        var models = options.ToDefinitions();
        Assert.Equal("round-robin", models[0].Routing);
        Assert.Equal(["azure-openai", "local-embeddings"], models[0].Deployments.Select(d => d.Provider));
        Assert.Equal(DeploymentProvider.AzureOpenAI, models[0].Deployments[0].ProviderKind);
        Assert.Equal("prefix-aware", models[1].Routing);
        Assert.Equal("echo", models[1].Deployments[0].Provider);
    }

    [Fact]
    public void Json_DocumentedNames_ReadInAnyCaseAndWrittenAsDocumented()
    {
        var options = JsonSerializer.Deserialize<ModelOptions>("""{"Routing":"LEAST-inflight","Deployments":[{"Provider":"Local-Embeddings"}]}""")!;

        Assert.Equal(ModelRouting.LeastInFlight, options.Routing);
        Assert.Equal(DeploymentProvider.LocalEmbeddings, options.Deployments[0].Provider);
        Assert.Equal("\"least-inflight\"", JsonSerializer.Serialize(ModelRouting.LeastInFlight));
        Assert.Equal("\"local-embeddings\"", JsonSerializer.Serialize(DeploymentProvider.LocalEmbeddings));
    }

    [Theory]
    [InlineData("""{"Deployments":[{"Provider":"bogus"}]}""")]
    [InlineData("""{"Deployments":[{"Provider":1}]}""")]
    [InlineData("""{"Routing":"fastest","Deployments":[]}""")]
    public void Json_UnknownName_Refused(string json)
    {
        var error = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<ModelOptions>(json));

        Assert.Contains("is not one of", error.Message, StringComparison.Ordinal);
    }

    private static IConfiguration Config(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
