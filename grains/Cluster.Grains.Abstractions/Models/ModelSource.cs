namespace Cluster.Grains.Models;

/// <summary>Where a catalog entry came from: configuration is re-applied at start, admin entries are kept.</summary>
[GenerateSerializer, Alias("Cluster.ModelSource")]
public enum ModelSource
{
    Configuration = 0,
    Admin = 1,
}
