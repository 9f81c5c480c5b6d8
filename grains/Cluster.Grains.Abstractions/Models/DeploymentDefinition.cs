namespace Cluster.Grains.Models;

/// <summary>
/// One backend that serves a model. <see cref="ApiKey"/> holds the key as configured
/// (<c>env:NAME</c> or a literal); it is resolved only where the upstream call is made and
/// never leaves the silo in a response. <see cref="CacheTokens"/> is the size of the backend's
/// prefix (KV) cache in tokens, for prefix-aware routing; null when not configured.
/// <see cref="Api"/> is <c>responses</c> when the backend takes Responses turns on its own
/// <c>/responses</c>; null (or <c>chat</c>) when every request goes as a chat completion.
/// </summary>
[GenerateSerializer, Immutable, Alias("Cluster.DeploymentDefinition")]
public sealed record DeploymentDefinition(
    [property: Id(0)] string Id,
    [property: Id(1)] string Provider,
    [property: Id(2)] string? BaseUrl,
    [property: Id(3)] string? ApiKey,
    [property: Id(4)] string? UpstreamModel,
    [property: Id(5)] int Weight,
    [property: Id(6)] int? Rpm,
    [property: Id(7)] int? Tpm,
    [property: Id(8)] int? MaxConcurrency,
    [property: Id(9)] string? ApiVersion,
    [property: Id(10)] DeploymentTimeouts Timeouts,
    [property: Id(11)] int? CacheTokens = null,
    [property: Id(12)] string? Api = null)
{
    /// <summary>What <see cref="Provider"/> names; null for a name no <see cref="DeploymentProvider"/> has.</summary>
    public DeploymentProvider? ProviderKind => SettingNames<DeploymentProvider>.TryParse(Provider, out var kind) ? kind : null;
}
