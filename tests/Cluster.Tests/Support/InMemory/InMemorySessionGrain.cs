using Cluster.Grains.Completions;
using Cluster.Grains.Sessions;

namespace Cluster.Tests.Support.InMemory;

/// <summary>A session for unit tests: pins as the session grain does (a pin that is still usable is kept), and counts usage.</summary>
public sealed class InMemorySessionGrain(string key) : ISessionGrain
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, string> _pins = new(StringComparer.Ordinal);
    private long _requests;
    private long _promptTokens;
    private long _completionTokens;
    private int _repins;

    /// <summary>When set, <see cref="PinAsync"/> does not answer until this completes (a grain that is moving).</summary>
    public Task? Unavailable { get; set; }

    public async Task<string> PinAsync(string model, string[] usable)
    {
        if (Unavailable is { } wait)
        {
            await wait;
        }

        lock (_gate)
        {
            if (!_pins.TryGetValue(model, out var pinned) || !usable.Contains(pinned))
            {
                _pins[model] = pinned = usable[0];
            }

            return pinned;
        }
    }

    public Task RepinAsync(string model, string deploymentId)
    {
        lock (_gate)
        {
            _pins[model] = deploymentId;
            _repins++;
        }

        return Task.CompletedTask;
    }

    public Task AddUsageAsync(TokenUsage usage) => AddUsagesAsync(new SessionUsage(1, usage.PromptTokens, usage.CompletionTokens));

    public Task AddUsagesAsync(SessionUsage usage)
    {
        lock (_gate)
        {
            _requests += usage.Requests;
            _promptTokens += usage.PromptTokens;
            _completionTokens += usage.CompletionTokens;
        }

        return Task.CompletedTask;
    }

    public Task<SessionInfo> GetAsync()
    {
        lock (_gate)
        {
            return Task.FromResult(new SessionInfo(key, new Dictionary<string, string>(_pins, StringComparer.Ordinal), _requests, _promptTokens, _completionTokens, null, _repins));
        }
    }
}
