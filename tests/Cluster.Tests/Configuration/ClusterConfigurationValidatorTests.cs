using Cluster.Api.Auth;
using Cluster.Hosting.Configuration;
using Microsoft.Extensions.Configuration;

namespace Cluster.Tests.Configuration;

/// <summary>The start-up check of the whole configuration: every bad key named at once. No cluster.</summary>
[Trait("Category", "Unit")]
public sealed class ClusterConfigurationValidatorTests
{
    [Fact]
    public void ValidateAll_EchoModelOnly_NoErrors()
    {
        var errors = ClusterConfigurationValidator.ValidateAll(Config(new()
        {
            ["Models:0:Name"] = "echo",
            ["Models:0:Deployments:0:Provider"] = "echo",
        }));

        Assert.Empty(errors);
    }

    [Theory]
    [InlineData("Usage:LedgerShards", "0")]
    [InlineData("Usage:DurableWaitSeconds", "-1")]
    [InlineData("Routing:MaxAttempts", "zero")]
    [InlineData("Routing:SessionLookupTimeoutMs", "0")]
    [InlineData("Limits:DefaultCompletionTokens", "0")]
    [InlineData("Cluster:RetryWindowSeconds", "0")]
    public void ValidateAll_RequestPathSettingOutOfRange_ErrorNamesTheKey(string key, string value)
    {
        var errors = ClusterConfigurationValidator.ValidateAll(Config(new()
        {
            ["Models:0:Name"] = "echo",
            ["Models:0:Deployments:0:Provider"] = "echo",
            [key] = value,
        }));

        var error = Assert.Single(errors);
        Assert.StartsWith(key + ":", error, StringComparison.Ordinal);
        Assert.Contains(value, error, StringComparison.Ordinal);
    }

    [Fact]
    public void ValidateAll_SeveralBadKeys_ReportsEveryOne()
    {
        var errors = ClusterConfigurationValidator.ValidateAll(Config(new()
        {
            ["Models:0:Name"] = "echo",
            ["Models:0:Deployments:0:Provider"] = "echo",
            ["Usage:LedgerShards"] = "0",
            ["Routing:MaxAttempts"] = "0",
        }));

        Assert.Equal(2, errors.Count);
    }

    [Theory]
    [InlineData("Cluster:Mode", "Hosted", "CoHosted, Client")]
    [InlineData("Cluster:Mode", "1", "CoHosted, Client")]
    [InlineData("Storage:Provider", "Disk", "Memory, AzureTable")]
    [InlineData("Clustering:Provider", "Consul", "Localhost, AzureTable")]
    public void ValidateAll_UnknownChoice_ErrorNamesTheKeyAndTheAllowedValues(string key, string value, string allowed)
    {
        var errors = ClusterConfigurationValidator.ValidateAll(Config(new()
        {
            ["Models:0:Name"] = "echo",
            ["Models:0:Deployments:0:Provider"] = "echo",
            [key] = value,
        }));

        var error = Assert.Single(errors);
        Assert.Equal($"{key}: '{value}' is not one of {allowed}.", error);
    }

    [Theory]
    [InlineData("Cluster:Mode", "client")]
    [InlineData("Storage:Provider", "azuretable")]
    [InlineData("Clustering:Provider", "LOCALHOST")]
    public void ValidateAll_ChoiceInAnyCase_NoErrors(string key, string value)
    {
        var errors = ClusterConfigurationValidator.ValidateAll(Config(new()
        {
            ["Models:0:Name"] = "echo",
            ["Models:0:Deployments:0:Provider"] = "echo",
            [key] = value,
        }));

        Assert.Empty(errors);
    }

    [Fact]
    public void ValidateAll_BadChoiceAndBadRangeInOneSection_ReportsBoth()
    {
        var errors = ClusterConfigurationValidator.ValidateAll(Config(new()
        {
            ["Models:0:Name"] = "echo",
            ["Models:0:Deployments:0:Provider"] = "echo",
            ["Cluster:Mode"] = "Hosted",
            ["Cluster:DrainTimeoutSeconds"] = "0",
        }));

        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("Cluster:Mode:", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("Cluster:DrainTimeoutSeconds:", StringComparison.Ordinal));
    }

    [Fact]
    public void ValidateAll_FrontEndSection_CheckedWithTheRest()
    {
        var section = new SettingsSection<ClusterHostOptions>("Gateway", new ClusterHostOptionsValidator());

        var errors = ClusterConfigurationValidator.ValidateAll(
            Config(new()
            {
                ["Models:0:Name"] = "echo",
                ["Models:0:Deployments:0:Provider"] = "echo",
                ["Gateway:SiloPort"] = "many",
                ["Usage:LedgerShards"] = "0",
            }),
            section);

        Assert.Equal(2, errors.Count);
        Assert.Contains("Gateway:SiloPort: 'many' is not a whole number.", errors);
    }

    [Theory]
    [InlineData("keys", null)]
    [InlineData("Closed", "Auth:Mode: 'Closed' is not one of Open, Keys.")]
    [InlineData("2", "Auth:Mode: '2' is not one of Open, Keys.")]
    public void ValidateAll_AuthModeOfTheFrontEnd_NamesTheKeyAndTheAllowedValues(string mode, string? expected)
    {
        var errors = ClusterConfigurationValidator.ValidateAll(
            Config(new()
            {
                ["Models:0:Name"] = "echo",
                ["Models:0:Deployments:0:Provider"] = "echo",
                ["Auth:Mode"] = mode,
            }),
            new SettingsSection<AuthOptions>(AuthOptions.SectionName, new AuthOptionsValidator()));

        Assert.Equal(expected is null ? [] : [expected], errors);
    }

    private static IConfiguration Config(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
