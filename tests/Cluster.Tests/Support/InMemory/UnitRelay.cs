using Cluster.Grains.Access;
using Cluster.Grains.Limits;
using Cluster.Grains.Models;
using Cluster.Grains.Routing;
using Cluster.Grains.Sessions;
using Cluster.Grains.Usage;
using Cluster.Relay.Completions;
using Cluster.Relay.Hosting;
using Cluster.Relay.Providers;
using Cluster.Relay.Requests;
using Cluster.Relay.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Cluster.Tests.Support.InMemory;

/// <summary>
/// The relay as a front-end wires it (<c>AddRelay</c>), with no cluster and no network: grains are
/// in-memory (<see cref="InMemoryGrainFactory"/>), the clock is a <see cref="FakeTimeProvider"/>
/// and every deployment's backend is the <see cref="ScriptedProvider"/>. For unit tests of the
/// attempt engine and its accounting.
/// </summary>
public sealed class UnitRelay : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly string _spool = Path.Combine(Path.GetTempPath(), "cluster-unit-spool", Guid.NewGuid().ToString("N"));

    public UnitRelay(IDictionary<string, string?>? settings = null)
    {
        Grains = new InMemoryGrainFactory()
            .Register<ILimiterGrain>(key => new InMemoryLimiterGrain(key))
            .Register<ISessionGrain>(key => new InMemorySessionGrain(key))
            .Register<IDeploymentStatusGrain>(key => new InMemoryDeploymentStatusGrain(key, Time))
            .Register<IPrefixHomesGrain>(_ => new InMemoryPrefixHomesGrain(Time))
            .Register<IUsageLedgerGrain>(_ => new InMemoryLedgerGrain())
            .Register<IAccessDirectoryGrain>(_ => Access)
            .Register<IModelRegistryGrain>(_ => Registry);

        var values = new Dictionary<string, string?>
        {
            ["Usage:Enabled"] = "true",
            ["Usage:SpoolDirectory"] = _spool,
            ["Routing:RetryBackoffMs"] = "0",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        services.AddLogging();
        services.AddSingleton<IGrainFactory>(Grains);
        services.AddSingleton<TimeProvider>(Time);
        services.AddSingleton(new ProviderSet(name => name == ScriptedProvider.Name ? Provider : null));
        services.AddRelay();
        _services = services.BuildServiceProvider();
    }

    /// <summary>The relay's clock; it moves only when a test advances it.</summary>
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 5, 12, 0, 0, TimeSpan.Zero));

    public InMemoryGrainFactory Grains { get; }

    public InMemoryAccessDirectoryGrain Access { get; } = new();

    public InMemoryModelRegistryGrain Registry { get; } = new();

    internal ScriptedProvider Provider { get; } = new();

    internal CompletionRelay Relay => _services.GetRequiredService<CompletionRelay>();

    internal DeploymentBalancer Balancer => _services.GetRequiredService<DeploymentBalancer>();

    internal RelayServices Services => _services.GetRequiredService<RelayServices>();

    /// <summary>Every usage record the ledger pages hold.</summary>
    public UsageRecord[] LedgerRecords => [.. Grains.Created<IUsageLedgerGrain>().Values.Cast<InMemoryLedgerGrain>().SelectMany(l => l.Records)];

    public InMemoryLimiterGrain Limiter(string key) => (InMemoryLimiterGrain)Grains.GetGrain<ILimiterGrain>(key);

    public InMemoryDeploymentStatusGrain Status(string deploymentId) => (InMemoryDeploymentStatusGrain)Grains.GetGrain<IDeploymentStatusGrain>(deploymentId);

    public InMemorySessionGrain Session(string key) => (InMemorySessionGrain)Grains.GetGrain<ISessionGrain>(key);

    /// <summary>A deployment served by the scripted backend.</summary>
    public static DeploymentDefinition Deployment(string id, DeploymentTimeouts? timeouts = null, int? maxConcurrency = null) =>
        new(id, ScriptedProvider.Name, BaseUrl: null, ApiKey: null, UpstreamModel: "upstream-model", Weight: 1, Rpm: null, Tpm: null, maxConcurrency, ApiVersion: null, timeouts ?? DeploymentTimeouts.Default);

    public static ModelDefinition Model(string name, params DeploymentDefinition[] deployments) =>
        new(name, [], "test", 1700000000, new ModelPrice(1, 2), "least-inflight", [], deployments, ModelSource.Configuration);

    internal async Task<List<RelayEvent>> CollectAsync(CompletionRequest request, params ModelDefinition[] candidates)
    {
        var events = new List<RelayEvent>();
        await foreach (var item in Relay.RunAsync(request, candidates, CancellationToken.None))
        {
            events.Add(item);
        }

        return events;
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        if (Directory.Exists(_spool))
        {
            Directory.Delete(_spool, recursive: true);
        }
    }
}
