namespace Cluster.Grains;

/// <summary>The name of the grain storage provider every durable grain uses.</summary>
public static class GrainStorage
{
    public const string Name = "cluster";
}
