namespace Cluster.Grains.Providers.LocalEmbeddings;

// Placeholder until the real implementation lands from the embed branch.
internal sealed class MiniLmEmbedder : IDisposable
{
    public const int Dimensions = 384;

    public float[][] Embed(IReadOnlyList<string> texts) => throw new NotImplementedException();

    public int CountTokens(string text) => throw new NotImplementedException();

    public void Dispose()
    {
    }
}
