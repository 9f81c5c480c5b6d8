using System.Globalization;

namespace Cluster.Bench.Processes;

/// <summary>CPU time of a process from <c>/proc/PID/stat</c>.</summary>
internal static class ProcessCpu
{
    /// <summary>User and system CPU the process has used so far, in milliseconds (USER_HZ is 100 on Linux).</summary>
    public static double UsedMs(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks * 1000.0 / 100;
    }
}
