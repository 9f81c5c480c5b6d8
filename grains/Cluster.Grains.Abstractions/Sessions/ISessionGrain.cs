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
    public static string KeyOf(string tenant, string sessionId) => tenant + "/" + sessionId;

    /// <summary>
    /// The deployment for <paramref name="model"/>: the pin while it is among <paramref name="usable"/>,
    /// else the first of them, which becomes the new pin.
    /// </summary>
    [Alias("Pin")]
    Task<string> PinAsync(string model, string[] usable);

    /// <summary>Moves the pin after the pinned deployment failed and another served the request.</summary>
    [Alias("Repin")]
    Task RepinAsync(string model, string deploymentId);

    [Alias("AddUsage"), Orleans.Concurrency.OneWay]
    Task AddUsageAsync(TokenUsage usage);

    [Alias("Get")]
    Task<SessionInfo> GetAsync();
}
