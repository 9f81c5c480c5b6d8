namespace Cluster.Hosting.Configuration;

/// <summary><c>Models[].Price</c>: US dollars per million tokens.</summary>
public sealed class PriceOptions
{
    public decimal InputPerMTok { get; set; }

    public decimal OutputPerMTok { get; set; }

    /// <summary>Prompt tokens the backend served from its prefix cache (<c>cached_tokens</c>); unset: <see cref="InputPerMTok"/>.</summary>
    public decimal? CachedInputPerMTok { get; set; }
}
