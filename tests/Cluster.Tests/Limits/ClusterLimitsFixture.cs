using Cluster.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Cluster.Tests.Limits;

/// <summary>
/// Two silos, two front-ends as their clients, and one fake upstream per scenario, each behind its
/// own model, with one tenant per scenario from configuration. The silos share a fake clock that
/// the tests never move, so a load burst lands in one window whatever the machine's speed.
/// </summary>
public sealed class ClusterLimitsFixture : IAsyncLifetime
{
    public const string AdminKey = "admin-limits-secret";

    private static readonly string Run = Guid.NewGuid().ToString("N")[..8];

    public FakeTimeProvider SiloTime { get; } = new(DateTimeOffset.UtcNow);

    public AzuriteCluster Cluster { get; private set; } = null!;

    public GatewayHost[] FrontEnds { get; private set; } = [];

    public GatewayClient Client { get; } = new();

    public AdminApi Admin => new(Client, FrontEnds[0].BaseUrl, AdminKey);

    public FakeUpstream RpmUpstream { get; private set; } = null!;

    public FakeUpstream TpmUpstream { get; private set; } = null!;

    public FakeUpstream ConcurrencyUpstream { get; private set; } = null!;

    public FakeUpstream CapacityUpstreamA { get; private set; } = null!;

    public FakeUpstream CapacityUpstreamB { get; private set; } = null!;

    public static LimitScenario Rpm { get; } = new($"rpm-{Run}", $"sk-rpm-{Run}", "rpm-model");

    public static LimitScenario TpmProbe { get; } = new($"tpm-probe-{Run}", $"sk-tpm-probe-{Run}", "tpm-model");

    public static LimitScenario Tpm { get; } = new($"tpm-{Run}", $"sk-tpm-{Run}", "tpm-model");

    public static LimitScenario Concurrency { get; } = new($"conc-{Run}", $"sk-conc-{Run}", "conc-model");

    public static LimitScenario Capacity { get; } = new($"cap-{Run}", $"sk-cap-{Run}", "cap-model");

    public static LimitScenario Oversized { get; } = new($"big-{Run}", $"sk-big-{Run}", "tpm-model");

    /// <summary>The TPM scenario's limit: 100 requests of 13 tokens each.</summary>
    public const int TpmLimit = 1300;

    public async Task InitializeAsync()
    {
        RpmUpstream = await FakeUpstream.StartAsync("rpm-upstream");
        TpmUpstream = await FakeUpstream.StartAsync("tpm-upstream");
        ConcurrencyUpstream = await FakeUpstream.StartAsync("conc-upstream");
        CapacityUpstreamA = await FakeUpstream.StartAsync("cap-upstream-a");
        CapacityUpstreamB = await FakeUpstream.StartAsync("cap-upstream-b");
        var config = new
        {
            Auth = new { Mode = "Keys", AdminKey },
            Models = new object[]
            {
                Model(Rpm.Model, new { Id = "rpm-deployment", Provider = "openai", RpmUpstream.BaseUrl }),
                Model(Tpm.Model, new { Id = "tpm-deployment", Provider = "openai", TpmUpstream.BaseUrl }),
                Model(Concurrency.Model, new { Id = "conc-deployment", Provider = "openai", ConcurrencyUpstream.BaseUrl }),
                Model(
                    Capacity.Model,
                    new { Id = "cap-deployment-a", Provider = "openai", CapacityUpstreamA.BaseUrl, MaxConcurrency = 2 },
                    new { Id = "cap-deployment-b", Provider = "openai", CapacityUpstreamB.BaseUrl, MaxConcurrency = 2 }),
            },
            Tenants = new object[]
            {
                new { Rpm.Id, Keys = new[] { Rpm.Key }, KeyLimits = new { Rpm = 100 } },
                new { TpmProbe.Id, Keys = new[] { TpmProbe.Key }, Limits = new { Tpm = 1_000_000 } },
                new { Tpm.Id, Keys = new[] { Tpm.Key }, Limits = new { Tpm = TpmLimit } },
                new { Concurrency.Id, Keys = new[] { Concurrency.Key }, Limits = new { MaxConcurrency = 5 } },
                new { Capacity.Id, Keys = new[] { Capacity.Key } },
                new { Oversized.Id, Keys = new[] { Oversized.Key }, Limits = new { Tpm = 1000 } },
            },
        };
        Cluster = await AzuriteCluster.Configure(config).WithSiloTime(SiloTime).StartAsync();
        FrontEnds = [await Cluster.StartFrontEndAsync(), await Cluster.StartFrontEndAsync()];
    }

    private static object Model(string name, params object[] deployments) => new { Name = name, Deployments = deployments };

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        foreach (var upstream in new[] { RpmUpstream, TpmUpstream, ConcurrencyUpstream, CapacityUpstreamA, CapacityUpstreamB })
        {
            await upstream.DisposeAsync();
        }

        Client.Dispose();
    }
}
