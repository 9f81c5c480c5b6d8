using Cluster.Grains.Models;

namespace Cluster.Relay.Providers;

/// <summary>
/// The values of a deployment's <c>Api</c>: which OpenAI API its backend is sent Responses turns
/// in. Names, as <c>DeploymentDefinition</c> carries its provider's: they travel through the
/// registry grain's stored state and the admin API.
/// </summary>
public static class DeploymentApis
{
    /// <summary>The default: every request goes as a chat completion (a Responses turn translated to one).</summary>
    public const string Chat = "chat";

    /// <summary>
    /// The backend speaks <c>POST /responses</c> itself: a Responses turn is sent to it as one, with
    /// the whole context replayed as input items and <c>store: false</c>, so the backend holds no state.
    /// Chat completions and completions still go to their own routes.
    /// </summary>
    public const string Responses = "responses";

    public static readonly string[] All = [Chat, Responses];

    /// <summary>Whether the provider can be told to speak <see cref="Responses"/> (it calls an OpenAI-style HTTP backend).</summary>
    public static bool Supports(DeploymentProvider? provider) => provider.CallsHttpBackend();
}
