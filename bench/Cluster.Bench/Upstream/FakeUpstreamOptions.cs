namespace Cluster.Bench.Upstream;

/// <summary>How the fake upstream behaves; fixed for the life of the process.</summary>
internal sealed record FakeUpstreamOptions
{
    /// <summary>Delay before the response (or the first stream chunk), in milliseconds.</summary>
    public int DelayMs { get; init; }

    /// <summary>Number of content chunks in a streamed response.</summary>
    public int StreamChunks { get; init; } = 16;

    /// <summary>Pause between two streamed chunks, in milliseconds.</summary>
    public int ChunkIntervalMs { get; init; } = 2;
}
