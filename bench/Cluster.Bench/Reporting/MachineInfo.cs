using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Cluster.Bench.Reporting;

/// <summary>What the figures were measured on.</summary>
internal sealed record MachineInfo(int Cores, string CpuModel, double MemoryGiB, string Os, string Runtime, string Commit, DateTimeOffset Date)
{
    public static MachineInfo Collect(string repoRoot)
    {
        return new MachineInfo(
            Environment.ProcessorCount,
            ReadCpuModel(),
            ReadMemoryGiB(),
            RuntimeInformation.OSDescription,
            RuntimeInformation.FrameworkDescription,
            ReadCommit(repoRoot),
            DateTimeOffset.UtcNow);
    }

    /// <summary>The 1, 5 and 15 minute load averages: other work on the machine skews every figure.</summary>
    public static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string ReadCpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line is null ? "unknown" : line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static double ReadMemoryGiB()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            if (line is not null)
            {
                var kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                return kb / 1024.0 / 1024.0;
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }

    private static string ReadCommit(string repoRoot)
    {
        var head = Git(repoRoot, "rev-parse", "--short=12", "HEAD");
        if (head is null)
        {
            return "unknown";
        }

        var dirty = Git(repoRoot, "status", "--porcelain", "--untracked-files=no");
        var branch = Git(repoRoot, "rev-parse", "--abbrev-ref", "HEAD");
        return $"{head}{(string.IsNullOrWhiteSpace(dirty) ? string.Empty : " (with uncommitted changes)")}{(branch is null ? string.Empty : $" on {branch}")}";
    }

    private static string? Git(string repoRoot, params string[] args)
    {
        try
        {
            var info = new ProcessStartInfo("git") { WorkingDirectory = repoRoot, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in args)
            {
                info.ArgumentList.Add(arg);
            }

            using var process = Process.Start(info);
            if (process is null)
            {
                return null;
            }

            var output = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return process.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}
