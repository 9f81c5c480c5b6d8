using Cluster.Grains.Completions;
using Cluster.Grains.Errors;

namespace Cluster.Relay.Providers.LocalEmbeddings;

/// <summary>
/// Embeddings computed in the silo by all-MiniLM-L6-v2 (384 dimensions), loaded once per silo on
/// first use. Serves <c>/embeddings</c> only.
/// </summary>
internal sealed class LocalEmbeddingsProvider(MiniLmEmbedder embedder, TokenCounter tokens) : IModelProvider
{
    public async Task<byte[]> CompleteAsync(UpstreamCall call, CancellationToken cancellationToken)
    {
        if (call.Request.Kind != EndpointKind.Embeddings)
        {
            throw new GatewayException(GatewayErrorCode.UnsupportedByModel, $"The model '{call.Request.RequestedModel}' only serves embeddings.", "model");
        }

        var request = EmbeddingRequest.Read(call.Request.Body, tokens);

        // The ONNX run is CPU-bound: keep it off the grain's scheduler.
        var vectors = await Task.Run(() => embedder.Embed(request.Texts), cancellationToken).ConfigureAwait(false);
        var promptTokens = request.Texts.Sum(embedder.CountTokens);
        return EmbeddingResponse.Write(call.UpstreamModel, vectors, request.Base64, request.Dimensions, promptTokens);
    }

    public IAsyncEnumerable<byte[]> StreamAsync(UpstreamCall call, CancellationToken cancellationToken) =>
        throw new GatewayException(GatewayErrorCode.UnsupportedByModel, $"The model '{call.Request.RequestedModel}' only serves embeddings.", "model");
}
