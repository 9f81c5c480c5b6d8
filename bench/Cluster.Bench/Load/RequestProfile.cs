namespace Cluster.Bench.Load;

/// <summary>One kind of request sent to one target: where, what body, streamed or not, which key.</summary>
internal sealed record RequestProfile(Uri Uri, byte[] Body, bool Stream, string? BearerToken);
