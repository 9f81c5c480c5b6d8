using Cluster.Grains.Completions;
using Cluster.Grains.Placement;
using Microsoft.Extensions.Options;

namespace Cluster.Grains.Sessions;

/// <summary>
/// A conversation's pins. Not reentrant on purpose: the first requests of a new session queue
/// here, so they all receive the same pin. Kept in memory; pins lapse after the idle TTL (and the
/// activation is collected then too), which only costs a cold prefix cache. When it moves to its
/// home silo (<see cref="HomeSiloPlacement"/>) the pins go along.
/// </summary>
[HomeSiloPlacement]
internal sealed class SessionGrain(IOptions<SessionOptions> options, TimeProvider time) : Grain, ISessionGrain, IGrainMigrationParticipant
{
    private const string MigratedSession = "session";
    private readonly TimeSpan _ttl = options.Value.SessionTtl;
    private readonly Dictionary<string, string> _pins = new(StringComparer.Ordinal);
    private DateTimeOffset? _lastSeen;
    private long _requests;
    private long _promptTokens;
    private long _completionTokens;
    private int _repins;

    public Task<string> PinAsync(string model, string[] usable)
    {
        Touch();
        if (_pins.TryGetValue(model, out var pinned) && usable.Contains(pinned))
        {
            return Task.FromResult(pinned);
        }

        if (pinned is not null)
        {
            _repins++;
        }

        _pins[model] = usable[0];
        return Task.FromResult(usable[0]);
    }

    public Task RepinAsync(string model, string deploymentId)
    {
        Touch();
        if (!_pins.TryGetValue(model, out var pinned) || pinned != deploymentId)
        {
            _pins[model] = deploymentId;
            _repins++;
        }

        return Task.CompletedTask;
    }

    public Task AddUsageAsync(TokenUsage usage) => AddUsagesAsync(new SessionUsage(1, usage.PromptTokens, usage.CompletionTokens));

    public Task AddUsagesAsync(SessionUsage usage)
    {
        Touch();
        _requests += usage.Requests;
        _promptTokens += usage.PromptTokens;
        _completionTokens += usage.CompletionTokens;
        return Task.CompletedTask;
    }

    public Task<SessionInfo> GetAsync()
    {
        Expire();
        return Task.FromResult(new SessionInfo(this.GetPrimaryKeyString(), new Dictionary<string, string>(_pins), _requests, _promptTokens, _completionTokens, _lastSeen, _repins));
    }

    public void OnDehydrate(IDehydrationContext dehydrationContext) =>
        dehydrationContext.TryAddValue(MigratedSession, new SessionSnapshot(new Dictionary<string, string>(_pins), _lastSeen, _requests, _promptTokens, _completionTokens, _repins));

    public void OnRehydrate(IRehydrationContext rehydrationContext)
    {
        if (rehydrationContext.TryGetValue<SessionSnapshot>(MigratedSession, out var snapshot) && snapshot is not null)
        {
            foreach (var (model, deployment) in snapshot.Pins)
            {
                _pins[model] = deployment;
            }

            (_lastSeen, _requests, _promptTokens, _completionTokens, _repins) =
                (snapshot.LastSeen, snapshot.Requests, snapshot.PromptTokens, snapshot.CompletionTokens, snapshot.Repins);
        }
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (_lastSeen is { } seen)
        {
            // Moved here: keep the pins for what is left of their idle time.
            var left = _ttl - (time.GetUtcNow() - seen);
            DelayDeactivation(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }

        return Task.CompletedTask;
    }

    private void Touch()
    {
        Expire();
        _lastSeen = time.GetUtcNow();
        DelayDeactivation(_ttl);
    }

    private void Expire()
    {
        if (_lastSeen is { } seen && time.GetUtcNow() - seen > _ttl)
        {
            _pins.Clear();
            _requests = _promptTokens = _completionTokens = 0;
            _repins = 0;
            _lastSeen = null;
        }
    }
}
