namespace Cluster.Api.Server;

/// <summary>
/// The <c>Server</c> section: what one HTTP request may cost the front-end. The header and
/// request-line limits are enforced by the gateway (so the answer is an OpenAI error); Kestrel's
/// own limits sit above them (<see cref="KestrelHeadersFactor"/> times larger) and only a client
/// far beyond them meets Kestrel's bare answer.
/// </summary>
public sealed class ServerOptions
{
    public const string SectionName = "Server";
    public const long DefaultMaxRequestBodyBytes = 8 * 1024 * 1024;
    public const int DefaultMaxRequestHeadersBytes = 32 * 1024;
    public const int DefaultMaxRequestHeaderCount = 100;
    public const int DefaultMaxRequestLineBytes = 8 * 1024;
    public const int KestrelHeadersFactor = 8;

    /// <summary>The largest request body, counted after <c>Content-Encoding</c> is decoded (413 above it).</summary>
    public long MaxRequestBodyBytes { get; set; } = DefaultMaxRequestBodyBytes;

    /// <summary>The largest total size of the request headers, names and values (431 above it).</summary>
    public int MaxRequestHeadersBytes { get; set; } = DefaultMaxRequestHeadersBytes;

    /// <summary>The most request headers (431 above it).</summary>
    public int MaxRequestHeaderCount { get; set; } = DefaultMaxRequestHeaderCount;

    /// <summary>The longest path and query (414 above it).</summary>
    public int MaxRequestLineBytes { get; set; } = DefaultMaxRequestLineBytes;

    /// <summary>How long a client may take to send its headers (Kestrel closes the connection with 408).</summary>
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The slowest a body may arrive, after <see cref="MinRequestBodyGrace"/> (408 below it).</summary>
    public double MinRequestBodyBytesPerSecond { get; set; } = 240;

    /// <summary>How long a body may arrive slower than <see cref="MinRequestBodyBytesPerSecond"/> before it is cut.</summary>
    public TimeSpan MinRequestBodyGrace { get; set; } = TimeSpan.FromSeconds(5);
}
