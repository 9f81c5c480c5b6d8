namespace Cluster.Grains.Completions;

/// <summary>Which OpenAI endpoint a request came in on.</summary>
[GenerateSerializer, Alias("Cluster.EndpointKind")]
public enum EndpointKind
{
    ChatCompletions = 0,
    Completions = 1,
    Embeddings = 2,
}
