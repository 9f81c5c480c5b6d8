using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace Cluster.Tests.Architecture;

/// <summary>
/// The layout is the architecture: the top-level folders (namespaces) of each project form no
/// cycle, the api uses no grain implementation, and the relay references grain contracts only.
/// Read from the source files of this repository; no cluster.
/// </summary>
[Trait("Category", "Unit")]
public sealed partial class DependencyGraphTests
{
    [Theory]
    [InlineData("api", "Cluster.Api")]
    [InlineData("grains/Cluster.Relay", "Cluster.Relay")]
    [InlineData("grains/Cluster.Grains", "Cluster.Grains")]
    public void Namespaces_OfOneProject_FormNoCycle(string folder, string rootNamespace)
    {
        var graph = Graph(folder, rootNamespace);

        var cycle = FindCycle(graph);

        Assert.True(cycle is null, $"Namespaces of {folder} depend on each other in a cycle: {string.Join(" → ", cycle ?? [])}");
    }

    [Fact]
    public void Api_UsesNoGrainImplementation()
    {
        var grainImplementations = Directory.GetFiles(Path.Combine(RepositoryRoot(), "grains/Cluster.Grains"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .SelectMany(f => TypeDeclaration().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
            .Where(name => name.EndsWith("Grain", StringComparison.Ordinal) || name.EndsWith("GrainState", StringComparison.Ordinal))
            .ToHashSet(StringComparer.Ordinal);

        var uses = SourceFiles("api")
            .SelectMany(f => grainImplementations.Where(type => Regex.IsMatch(File.ReadAllText(f), $@"\b{type}\b")).Select(type => $"{Path.GetFileName(f)} uses {type}"))
            .ToList();

        Assert.NotEmpty(grainImplementations);
        Assert.Empty(uses);
    }

    [Fact]
    public void Abstractions_HoldContractsOnly_NoRuntimeCaches()
    {
        var stateful = SourceFiles("grains/Cluster.Grains.Abstractions")
            .Where(f => Regex.IsMatch(StripComments(File.ReadAllText(f)), @"\block \(|\bVolatile\.|\bInterlocked\.|CreateTimer|\bITimer\b"))
            .Select(Path.GetFileName)
            .ToList();

        Assert.Empty(stateful);
    }

    [Fact]
    public void Relay_ReferencesGrainContractsOnly()
    {
        var project = File.ReadAllText(Path.Combine(RepositoryRoot(), "grains/Cluster.Relay/Cluster.Relay.csproj"));

        var references = ProjectReference().Matches(project).Select(m => Path.GetFileNameWithoutExtension(m.Groups[1].Value.Replace('\\', '/'))).ToList();

        Assert.Equal(["Cluster.Grains.Abstractions"], references);
    }

    /// <summary>
    /// Namespace → the namespaces of the same project whose types it uses: a type named with its
    /// namespace, or named bare where the namespace is imported (a using directive, or a global
    /// using of the project). Comments are left out.
    /// </summary>
    private static Dictionary<string, HashSet<string>> Graph(string folder, string rootNamespace)
    {
        var files = SourceFiles(folder)
            .Select(f => StripComments(File.ReadAllText(f)))
            .Select(text => (Text: text, Namespace: NamespaceOf(text)))
            .Where(f => f.Namespace is not null && f.Namespace.StartsWith(rootNamespace, StringComparison.Ordinal))
            .ToList();
        var types = files.GroupBy(f => f.Namespace!)
            .ToDictionary(g => g.Key, g => g.SelectMany(f => TypeDeclaration().Matches(f.Text).Select(m => m.Groups[1].Value)).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        var project = Directory.GetFiles(Path.Combine(RepositoryRoot(), folder), "*.csproj").Single();
        var global = GlobalUsing().Matches(File.ReadAllText(project)).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var graph = types.Keys.Select(n => Folder(n, rootNamespace)).Distinct().ToDictionary(n => n, _ => new HashSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var (text, ns) in files)
        {
            foreach (var (other, declared) in types)
            {
                if (Folder(other, rootNamespace) == Folder(ns!, rootNamespace))
                {
                    continue;
                }

                var imported = global.Contains(other) || text.Contains($"using {other};", StringComparison.Ordinal);
                if (declared.Any(type => Regex.IsMatch(text, $@"\b{Regex.Escape(other)}\.{type}\b") || (imported && Regex.IsMatch(text, $@"(?<![\w.]){type}\b"))))
                {
                    graph[Folder(ns!, rootNamespace)].Add(Folder(other, rootNamespace));
                }
            }
        }

        return graph;
    }

    /// <summary>A top-level folder of the project: its namespace below the root, first segment only.</summary>
    private static string Folder(string ns, string rootNamespace)
    {
        var rest = ns.Length > rootNamespace.Length ? ns[(rootNamespace.Length + 1)..] : "";
        return rest.Length == 0 ? rootNamespace : rootNamespace + "." + rest.Split('.')[0];
    }

    private static string StripComments(string text) =>
        string.Join('\n', text.Split('\n').Where(line => !line.TrimStart().StartsWith("//", StringComparison.Ordinal)));

    private static List<string>? FindCycle(Dictionary<string, HashSet<string>> graph)
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        var path = new List<string>();
        foreach (var start in graph.Keys)
        {
            if (Visit(start) is { } cycle)
            {
                return cycle;
            }
        }

        return null;

        List<string>? Visit(string node)
        {
            if (state.GetValueOrDefault(node) == 2)
            {
                return null;
            }

            if (state.GetValueOrDefault(node) == 1)
            {
                return [.. path.Skip(path.IndexOf(node)), node];
            }

            state[node] = 1;
            path.Add(node);
            foreach (var next in graph[node])
            {
                if (Visit(next) is { } cycle)
                {
                    return cycle;
                }
            }

            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }
    }

    private static IEnumerable<string> SourceFiles(string folder) =>
        Directory.GetFiles(Path.Combine(RepositoryRoot(), folder), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    private static string? NamespaceOf(string text) => FileNamespace().Match(text) is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>The repository's root: two folders above this source file's folder.</summary>
    private static string RepositoryRoot([CallerFilePath] string thisFile = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "..", ".."));

    [GeneratedRegex(@"^namespace ([\w.]+);", RegexOptions.Multiline)]
    private static partial Regex FileNamespace();

    [GeneratedRegex(@"\b(?:class|record|struct|interface|enum)\s+([A-Z]\w*)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"<ProjectReference Include=""([^""]+)""")]
    private static partial Regex ProjectReference();

    [GeneratedRegex(@"<Using Include=""([\w.]+)""")]
    private static partial Regex GlobalUsing();
}
