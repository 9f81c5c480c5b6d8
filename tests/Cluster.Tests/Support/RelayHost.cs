using Cluster.Grains.Models;
using Cluster.Relay.Completions;
using Cluster.Relay.Requests;
using Cluster.Relay.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Cluster.Tests.Support;

/// <summary>
/// The relay as a front-end runs it, against a test cluster's client: for tests of the request path
/// without HTTP. The ledger is off unless <paramref name="settings"/> turn it on.
/// </summary>
public sealed class RelayHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    public RelayHost(IClusterClient client, IDictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?> { ["Usage:Enabled"] = "false" };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        services.AddLogging();
        services.AddSingleton<IGrainFactory>(client);
        services.AddRelay();
        _services = services.BuildServiceProvider();
    }

    internal CompletionRelay Relay => _services.GetRequiredService<CompletionRelay>();

    internal IAsyncEnumerable<RelayEvent> RunAsync(CompletionRequest request, params ModelDefinition[] candidates) =>
        Relay.RunAsync(request, candidates, CancellationToken.None);

    internal async Task<List<RelayEvent>> CollectAsync(CompletionRequest request, params ModelDefinition[] candidates)
    {
        var events = new List<RelayEvent>();
        await foreach (var item in RunAsync(request, candidates))
        {
            events.Add(item);
        }

        return events;
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
