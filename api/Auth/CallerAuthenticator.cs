using Cluster.Relay.Views;
using System.Collections.Concurrent;
using Cluster.Grains.Access;
using Cluster.Grains.Completions;
using Cluster.Grains.Errors;
using Microsoft.Extensions.Options;

namespace Cluster.Api.Auth;

/// <summary>
/// Decides who a request comes from, from the local copy of the access directory (no grain call).
/// <c>Keys</c> mode requires a known key (401 otherwise). <c>Open</c> mode (the default when no
/// tenants are configured) takes any or no key as tenant <c>default</c>, as LiteLLM's
/// custom-server setup expects, but still recognises known keys so their usage is attributed.
/// </summary>
internal sealed partial class CallerAuthenticator : IDisposable
{
    private const string DefaultTenant = "default";
    private static readonly TimeSpan TouchInterval = TimeSpan.FromSeconds(5);
    private readonly AccessView _access;
    private readonly IGrainFactory _grains;
    private readonly ILogger<CallerAuthenticator> _logger;
    private readonly bool _keysRequired;
    private readonly ConcurrentDictionary<string, long> _lastUsed = new(StringComparer.Ordinal);

    // Keys a fresh check did not find, by hash, with when (bounded: cleared when full).
    private const int MaxUnknownKeys = 10_000;
    private static readonly TimeSpan UnknownFor = TimeSpan.FromSeconds(1);
    private readonly ConcurrentDictionary<string, long> _unknown = new(StringComparer.Ordinal);
    private readonly ITimer _touch;
    private readonly TimeProvider _time;
    private readonly FailedAuthentications _failures;

    public CallerAuthenticator(AccessView access, IGrainFactory grains, IOptions<AuthOptions> options, IConfiguration configuration, TimeProvider time, FailedAuthentications failures, ILogger<CallerAuthenticator> logger)
    {
        _failures = failures;
        _access = access;
        _grains = grains;
        _logger = logger;
        _time = time;
        _keysRequired = (options.Value.Mode ?? (configuration.GetSection("Tenants").GetChildren().Any() ? AuthMode.Keys : AuthMode.Open)) == AuthMode.Keys;
        _touch = time.CreateTimer(_ => _ = TouchAsync(), null, TouchInterval, TouchInterval);
    }

    public async ValueTask<AuthenticatedCaller> AuthenticateAsync(HttpContext context)
    {
        _failures.ThrowIfLockedOut(context);
        var token = BearerToken(context.Request);
        var index = await _access.GetAsync();
        var hash = token is null ? null : KeyHash.Of(token);
        if (hash is not null && !index.TryFindKey(hash, out _, out _) && !RecentlyUnknown(hash))
        {
            // Perhaps a key issued a moment ago through another front-end.
            index = await FreshAsync(index);
            if (!index.TryFindKey(hash, out _, out _))
            {
                NoteUnknown(hash);
            }
        }

        if (hash is not null && index.TryFindKey(hash, out var key, out var tenant))
        {
            _lastUsed[key.Id] = _time.GetUtcNow().ToUnixTimeSeconds();
            return new AuthenticatedCaller(new CallerIdentity(tenant.Id, key.Id), tenant);
        }

        if (_keysRequired)
        {
            if (token is not null)
            {
                await _failures.RecordFailureAsync(context);
            }

            throw InvalidKey(missing: token is null);
        }

        return new AuthenticatedCaller(CallerIdentity.Default, index.Tenant(DefaultTenant));
    }

    /// <summary>
    /// The access directory checked now. In open mode a check the cluster cannot answer (its
    /// directory moving after a silo died) leaves the caller unknown, so anonymous, as it would be
    /// anyway, instead of failing the request; in keys mode the caller cannot be told, so it fails.
    /// </summary>
    private async Task<AccessIndex> FreshAsync(AccessIndex cached)
    {
        try
        {
            return await _access.GetFreshAsync();
        }
        catch (Exception ex) when (!_keysRequired && Cluster.Relay.Cluster.ClusterCalls.IsTransient(ex))
        {
            return cached;
        }
    }

    /// <summary>
    /// Whether a fresh check missed <paramref name="hash"/> within the last <see cref="UnknownFor"/>:
    /// an OpenAI client in open mode sends some key with every request, and checking the directory
    /// for it each time would cost every request a grain call. A key issued meanwhile is still
    /// found within that time, when the local copy refreshes.
    /// </summary>
    private bool RecentlyUnknown(string hash) =>
        _unknown.TryGetValue(hash, out var at) && _time.GetElapsedTime(at) < UnknownFor;

    private void NoteUnknown(string hash)
    {
        if (_unknown.Count >= MaxUnknownKeys)
        {
            _unknown.Clear();
        }

        _unknown[hash] = _time.GetTimestamp();
    }

    public static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var token = header[7..].Trim();
            return token.Length > 0 ? token : null;
        }

        var apiKey = request.Headers["api-key"].ToString();
        return apiKey.Length > 0 ? apiKey : null;
    }

    public static GatewayException InvalidKey(bool missing) => new(GatewayErrorCode.InvalidApiKey, missing
        ? "You didn't provide an API key. Send it in the Authorization header as 'Bearer YOUR_KEY'."
        : "Incorrect API key provided.");

    private async Task TouchAsync()
    {
        if (_lastUsed.IsEmpty)
        {
            return;
        }

        var batch = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var id in _lastUsed.Keys)
        {
            if (_lastUsed.TryRemove(id, out var at))
            {
                batch[id] = at;
            }
        }

        try
        {
            await _grains.GetGrain<IAccessDirectoryGrain>(IAccessDirectoryGrain.Key).TouchKeysAsync(batch);
        }
        catch (Exception ex)
        {
            LogTouchFailed(_logger, ex);
        }
    }

    public void Dispose() => _touch.Dispose();

    [LoggerMessage(200, LogLevel.Warning, "Recording when keys were last used failed")]
    private static partial void LogTouchFailed(ILogger logger, Exception exception);
}
