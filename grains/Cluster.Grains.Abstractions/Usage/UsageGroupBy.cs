namespace Cluster.Grains.Usage;

/// <summary>How usage is grouped in a query.</summary>
[GenerateSerializer, Alias("Cluster.UsageGroupBy")]
public enum UsageGroupBy
{
    Model = 0,
    Day = 1,
    Key = 2,
    Hour = 3,
}
