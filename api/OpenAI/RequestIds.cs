namespace Cluster.Api.OpenAI;

/// <summary>Request ids: <c>req_</c> and 24 hex digits, unique across processes and restarts.</summary>
internal static class RequestIds
{
    public static string Next() => string.Create(28, Guid.NewGuid(), static (span, guid) =>
    {
        "req_".CopyTo(span);
        Span<byte> bytes = stackalloc byte[16];
        guid.TryWriteBytes(bytes);
        Convert.TryToHexStringLower(bytes[..12], span[4..], out _);
    });
}
