using System.Globalization;

namespace Cluster.Bench.Processes;

/// <summary>Resident memory of a process from <c>/proc/PID/status</c>.</summary>
internal static class ProcessMemory
{
    /// <summary>Peak resident set size (VmHWM), in bytes; null when the process is gone.</summary>
    public static long? PeakRssBytes(int pid) => Read(pid, "VmHWM:");

    /// <summary>Current resident set size (VmRSS), in bytes; null when the process is gone.</summary>
    public static long? RssBytes(int pid) => Read(pid, "VmRSS:");

    private static long? Read(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    var parts = line[field.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    return long.Parse(parts[0], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }
}
