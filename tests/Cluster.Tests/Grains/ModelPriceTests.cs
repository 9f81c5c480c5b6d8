using Cluster.Grains.Models;

namespace Cluster.Tests.Grains;

/// <summary>Cost of a request from its tokens, with and without a cached-input price.</summary>
public sealed class ModelPriceTests
{
    [Fact]
    public void CostOf_CachedInputPrice_CachedTokensAtThatPrice()
    {
        var price = new ModelPrice(InputPerMTok: 2m, OutputPerMTok: 8m, CachedInputPerMTok: 0.5m);

        // 1,000 prompt tokens of which 600 cached, 100 completion tokens.
        Assert.Equal(((400 * 2m) + (600 * 0.5m) + (100 * 8m)) / 1_000_000m, price.CostOf(1000, 100, 600));
    }

    [Fact]
    public void CostOf_NoCachedInputPrice_CachedTokensAtTheInputPrice()
    {
        var price = new ModelPrice(2m, 8m);

        Assert.Equal(price.CostOf(1000, 100), price.CostOf(1000, 100, 600));
        Assert.Equal(((1000 * 2m) + (100 * 8m)) / 1_000_000m, price.CostOf(1000, 100, 600));
    }
}
