namespace Cluster.Bench.Upstream;

/// <summary>The routes the fake upstream counts separately.</summary>
internal enum UpstreamRoute
{
    ChatCompletions,
    Completions,
    Embeddings,
    Models,
}
