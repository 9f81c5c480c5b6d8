namespace Cluster.Relay.Providers;

/// <summary>
/// The values of a deployment's <c>Provider</c>: the one list the configuration check, the admin
/// API and <see cref="ProviderSet"/> read. They stay names, not an enum, because they are written
/// with hyphens in configuration files and admin requests, and travel in
/// <c>DeploymentDefinition</c> through the registry grain's stored state.
/// </summary>
public static class ProviderNames
{
    /// <summary>Any OpenAI-compatible server (vLLM, llama.cpp, Ollama, OpenAI itself).</summary>
    public const string OpenAI = "openai";

    /// <summary>Azure OpenAI: <c>api-key</c> header, deployment in the path, <c>api-version</c> in the query.</summary>
    public const string AzureOpenAI = "azure-openai";

    /// <summary>The built-in echo model (no backend).</summary>
    public const string Echo = "echo";

    /// <summary>The built-in MiniLM embedding model, run in the front-end.</summary>
    public const string LocalEmbeddings = "local-embeddings";

    public static readonly string[] All = [OpenAI, AzureOpenAI, Echo, LocalEmbeddings];

    /// <summary>Whether the provider calls an HTTP backend (and so needs a <c>BaseUrl</c>).</summary>
    public static bool CallsBackend(string? provider) => provider is OpenAI or AzureOpenAI;
}
