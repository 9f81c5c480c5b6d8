using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Cluster.Grains.Models;

/// <summary>
/// A deployment's <c>Provider</c>: the code that speaks to its backend. Written in configuration
/// and in admin requests by the names given here (in any case), and carried by those names in
/// <see cref="DeploymentDefinition"/>; <see cref="SettingNames{TEnum}"/> translates.
/// </summary>
[TypeConverter(typeof(SettingNameConverter<DeploymentProvider>))]
[JsonConverter(typeof(SettingNameJsonConverter<DeploymentProvider>))]
public enum DeploymentProvider
{
    /// <summary>Any OpenAI-compatible server (vLLM, llama.cpp, Ollama, OpenAI itself).</summary>
    [JsonStringEnumMemberName("openai")]
    OpenAI,

    /// <summary>Azure OpenAI: <c>api-key</c> header, deployment in the path, <c>api-version</c> in the query.</summary>
    [JsonStringEnumMemberName("azure-openai")]
    AzureOpenAI,

    /// <summary>The built-in echo model (no backend).</summary>
    [JsonStringEnumMemberName("echo")]
    Echo,

    /// <summary>The built-in MiniLM embedding model, run in the front-end.</summary>
    [JsonStringEnumMemberName("local-embeddings")]
    LocalEmbeddings,
}

/// <summary>What a <see cref="DeploymentProvider"/> implies about its deployment.</summary>
public static class DeploymentProviderFacts
{
    /// <summary>
    /// Whether the provider calls an OpenAI-style HTTP backend: then the deployment needs a
    /// <c>BaseUrl</c>, and may declare that its backend speaks <c>/responses</c>.
    /// </summary>
    public static bool CallsHttpBackend(this DeploymentProvider? provider) =>
        provider is DeploymentProvider.OpenAI or DeploymentProvider.AzureOpenAI;
}
