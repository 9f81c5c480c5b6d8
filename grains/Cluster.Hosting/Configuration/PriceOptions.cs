namespace Cluster.Hosting.Configuration;

/// <summary><c>Models[].Price</c>: US dollars per million tokens.</summary>
public sealed class PriceOptions
{
    public decimal InputPerMTok { get; set; }

    public decimal OutputPerMTok { get; set; }
}
