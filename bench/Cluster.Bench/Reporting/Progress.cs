using System.Diagnostics;
using System.Globalization;

namespace Cluster.Bench.Reporting;

/// <summary>Progress lines on stdout, stamped with the time since the run started.</summary>
internal static class Progress
{
    private static readonly long Started = Stopwatch.GetTimestamp();

    public static void Line(string text) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{Stopwatch.GetElapsedTime(Started).TotalSeconds,6:0.0} s] {text}"));
}
