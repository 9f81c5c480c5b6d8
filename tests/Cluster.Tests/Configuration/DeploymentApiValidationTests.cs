using Cluster.Grains.Models;
using Cluster.Hosting.Configuration;
using Microsoft.Extensions.Configuration;

namespace Cluster.Tests.Configuration;

/// <summary><c>Models[].Deployments[].Api</c>: <c>chat</c> or <c>responses</c>, the latter only for a provider that calls an HTTP backend. No cluster.</summary>
[Trait("Category", "Unit")]
public sealed class DeploymentApiValidationTests
{
    [Theory]
    [InlineData("openai", "responses")]
    [InlineData("openai", "Responses")]
    [InlineData("openai", "chat")]
    [InlineData("echo", "chat")]
    public void ValidateAll_KnownApiForProvider_NoErrors(string provider, string api)
    {
        var errors = ClusterConfigurationValidator.ValidateAll(Config(provider, api));

        Assert.Empty(errors);
    }

    [Theory]
    [InlineData("openai", "completions", "Models:0:Deployments:0:Api: 'completions' is not one of chat, responses.")]
    [InlineData("echo", "responses", "Models:0:Deployments:0:Api: 'responses' needs a provider that calls an HTTP backend (openai or azure-openai), not 'echo'.")]
    public void ValidateAll_BadApi_ErrorNamesTheKey(string provider, string api, string expected)
    {
        var errors = ClusterConfigurationValidator.ValidateAll(Config(provider, api));

        Assert.Equal([expected], errors);
    }

    [Fact]
    public void ToDefinitions_ApiResponses_CarriedLowercaseAndChatIsTheDefault()
    {
        var options = new CatalogOptions
        {
            Models =
            [
                new ModelOptions
                {
                    Name = "m",
                    Deployments =
                    [
                        new DeploymentOptions { Provider = DeploymentProvider.OpenAI, BaseUrl = "http://127.0.0.1:9/v1", Api = "Responses" },
                        new DeploymentOptions { Provider = DeploymentProvider.OpenAI, BaseUrl = "http://127.0.0.1:9/v1", Api = "chat" },
                        new DeploymentOptions { Provider = DeploymentProvider.OpenAI, BaseUrl = "http://127.0.0.1:9/v1" },
                    ],
                },
            ],
        };

        var deployments = Assert.Single(options.ToDefinitions()).Deployments;

        Assert.Equal(["responses", null, null], deployments.Select(d => d.Api));
    }

    private static IConfiguration Config(string provider, string api) => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["Models:0:Name"] = "m",
        ["Models:0:Deployments:0:Provider"] = provider,
        ["Models:0:Deployments:0:BaseUrl"] = "http://127.0.0.1:9/v1",
        ["Models:0:Deployments:0:Api"] = api,
    }).Build();
}
