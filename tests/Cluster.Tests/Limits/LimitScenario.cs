namespace Cluster.Tests.Limits;

/// <summary>One scenario of <see cref="ClusterLimitsFixture"/>: its tenant, the tenant's key, and the model it calls.</summary>
public sealed record LimitScenario(string Id, string Key, string Model);
