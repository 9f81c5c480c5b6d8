using Cluster.Grains.Errors;
using Cluster.Grains.Models;

using Cluster.Relay.Providers.Echo;
using Cluster.Relay.Providers.LocalEmbeddings;
using Cluster.Relay.Providers.OpenAI;

namespace Cluster.Relay.Providers;

/// <summary>Maps a deployment's <c>Provider</c> to the code that speaks to it.</summary>
internal sealed class ProviderSet
{
    private readonly Func<string, IModelProvider?> _byName;

    public ProviderSet(OpenAIProvider openAI, EchoProvider echo, LocalEmbeddingsProvider localEmbeddings)
        : this(name => SettingNames<DeploymentProvider>.TryParse(name, out var provider)
            ? provider switch
            {
                DeploymentProvider.OpenAI or DeploymentProvider.AzureOpenAI => openAI,
                DeploymentProvider.Echo => echo,
                DeploymentProvider.LocalEmbeddings => localEmbeddings,
                _ => null,
            }
            : null)
    {
    }

    /// <summary>Providers looked up by name (unit tests give the relay a scripted provider this way).</summary>
    internal ProviderSet(Func<string, IModelProvider?> byName) => _byName = byName;

    public IModelProvider For(DeploymentDefinition deployment) =>
        _byName(deployment.Provider) ?? throw new GatewayException(GatewayErrorCode.Internal, $"Deployment '{deployment.Id}' has an unknown provider.");
}
