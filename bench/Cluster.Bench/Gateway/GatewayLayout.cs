namespace Cluster.Bench.Gateway;

/// <summary>Where the gateway's build output lives in the repository.</summary>
internal sealed record GatewayLayout(string RepoRoot)
{
    public string ApiProject => Path.Combine(RepoRoot, "api", "Cluster.Api.csproj");

    public string SiloProject => Path.Combine(RepoRoot, "silo", "Cluster.Silo.csproj");

    public string ApiDll => Path.Combine(RepoRoot, "api", "bin", "Release", "net10.0", "Cluster.Api.dll");

    public string SiloDll => Path.Combine(RepoRoot, "silo", "bin", "Release", "net10.0", "Cluster.Silo.dll");

    /// <summary>The folder holding Cluster.sln, found from <paramref name="start"/> upwards.</summary>
    public static GatewayLayout Find(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln")))
            {
                return new GatewayLayout(dir.FullName);
            }
        }

        throw new InvalidOperationException($"no Cluster.sln above {start}: run the bench from the repository");
    }
}
