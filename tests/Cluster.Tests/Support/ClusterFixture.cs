using System.Globalization;
using Cluster.Grains;
using Cluster.Grains.Models;

namespace Cluster.Tests.Support;

/// <summary>
/// The <c>cluster</c> collection: an <see cref="InProcessCluster"/> of two silos on real time, shared
/// by grain and relay tests. The well-known catalog is seeded once with <see cref="EchoModel"/> and
/// <see cref="UnreachableModel"/> before any test reads it; tests that change a registry use a
/// registry grain of their own.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ClusterFixture : InProcessClusterFixture, ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
    public const string EchoModel = "echo";
    public const string EchoAlias = "echo-alias";
    public const string EchoDeployment = "echo-builtin";
    public const string UnreachableModel = "unreachable";

    /// <summary>A registry grain no other test uses.</summary>
    public IModelRegistryGrain NewRegistry() => Client.GetGrain<IModelRegistryGrain>("registry-" + Guid.NewGuid().ToString("N"));

    public static ModelDefinition Model(string name, string[] aliases, params DeploymentDefinition[] deployments) =>
        new(name, aliases, "tests", 0, ModelPrice.Free, "least-inflight", [], deployments, ModelSource.Configuration);

    public static DeploymentDefinition Deployment(string id, string provider, string? baseUrl) =>
        new(id, provider, baseUrl, null, null, 1, null, null, null, null, DeploymentTimeouts.Default);

    protected override InProcessClusterBuilder Build() => InProcessCluster.Create(silos: 2);

    protected override async Task SeedAsync()
    {
        ModelDefinition[] models =
        [
            Model(EchoModel, [EchoAlias], Deployment(EchoDeployment, "echo", null)),
            Model(UnreachableModel, [], Deployment("unreachable-0", "openai", $"http://127.0.0.1:{FreePorts.Next().ToString(CultureInfo.InvariantCulture)}/v1")),
        ];
        await Client.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.Key).ApplyConfigurationAsync(models, "cluster-fixture");
    }
}
