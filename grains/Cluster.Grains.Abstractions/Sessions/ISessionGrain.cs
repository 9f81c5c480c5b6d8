using Cluster.Grains.Completions;

namespace Cluster.Grains.Sessions;

/// <summary>
/// One conversation (key <c>{tenant}/{session id}</c>): which deployment of each model it is pinned
/// to, so the backend's prefix cache is reused. Not reentrant, so concurrent first requests of a
/// new session all get the same pin. Forgotten after an idle TTL.
/// </summary>
[Alias("Cluster.ISessionGrain")]
public interface ISessionGrain : IGrainWithStringKey
{
    /// <summary>The longest client-supplied session id kept as it is; longer ones are hashed.</summary>
    public const int MaxPlainIdLength = 64;

    public static string KeyOf(string tenant, string sessionId) => tenant + "/" + BoundedId(sessionId);

    /// <summary>
    /// A session id fit to be a storage key: a short id of safe characters as it is, any other
    /// (a client may send kilobytes, slashes or control characters in <c>x-session-id</c>,
    /// <c>prompt_cache_key</c> or <c>user</c>) as <c>sha256-</c> and the first 128 bits of its
    /// SHA-256 in hex. Applying it twice gives the same id.
    /// </summary>
    public static string BoundedId(string sessionId)
    {
        if (sessionId.Length is > 0 and <= MaxPlainIdLength && IsSafe(sessionId))
        {
            return sessionId;
        }

        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(sessionId), hash);
        return "sha256-" + Convert.ToHexStringLower(hash[..16]);
    }

    private static bool IsSafe(string id)
    {
        foreach (var c in id)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '@'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The deployment for <paramref name="model"/>: the pin while it is among <paramref name="usable"/>,
    /// else the first of them, which becomes the new pin.
    /// </summary>
    [Alias("Pin")]
    Task<string> PinAsync(string model, string[] usable);

    /// <summary>Moves the pin after the pinned deployment failed and another served the request.</summary>
    [Alias("Repin")]
    Task RepinAsync(string model, string deploymentId);

    /// <summary>One request's usage (front-ends before <see cref="AddUsagesAsync"/>; kept for a cluster being upgraded).</summary>
    [Alias("AddUsage"), Orleans.Concurrency.OneWay]
    Task AddUsageAsync(TokenUsage usage);

    /// <summary>The usage of a front-end's requests of this session since it last sent it (<c>SessionUsageTally</c>).</summary>
    [Alias("AddUsages"), Orleans.Concurrency.OneWay]
    Task AddUsagesAsync(SessionUsage usage);

    [Alias("Get")]
    Task<SessionInfo> GetAsync();
}
