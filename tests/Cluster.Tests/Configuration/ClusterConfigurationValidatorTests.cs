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

    private static IConfiguration Config(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
