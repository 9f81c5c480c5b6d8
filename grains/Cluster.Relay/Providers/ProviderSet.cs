using Cluster.Grains.Errors;
using Cluster.Grains.Models;

using Cluster.Relay.Providers.Echo;
using Cluster.Relay.Providers.LocalEmbeddings;
using Cluster.Relay.Providers.OpenAI;

namespace Cluster.Relay.Providers;

/// <summary>Maps a deployment's <c>Provider</c> to the code that speaks to it.</summary>
internal sealed class ProviderSet(OpenAIProvider openAI, EchoProvider echo, LocalEmbeddingsProvider localEmbeddings)
{
    public IModelProvider For(DeploymentDefinition deployment) => deployment.Provider switch
    {
        ProviderNames.OpenAI or ProviderNames.AzureOpenAI => openAI,
        ProviderNames.Echo => echo,
        ProviderNames.LocalEmbeddings => localEmbeddings,
        _ => throw new GatewayException(GatewayErrorCode.Internal, $"Deployment '{deployment.Id}' has an unknown provider."),
    };
}
