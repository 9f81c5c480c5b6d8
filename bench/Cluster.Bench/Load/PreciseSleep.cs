using System.Runtime.InteropServices;

namespace Cluster.Bench.Load;

/// <summary>A blocking sleep in microseconds (libc <c>usleep</c>), for the open-loop schedule thread.</summary>
internal static class PreciseSleep
{
    public static void For(long microseconds)
    {
        if (microseconds <= 0)
        {
            return;
        }

        if (OperatingSystem.IsLinux())
        {
            _ = USleep((uint)Math.Min(microseconds, 1_000_000));
        }
        else
        {
            Thread.Sleep(TimeSpan.FromTicks(microseconds * 10));
        }
    }

    [DllImport("libc", EntryPoint = "usleep", SetLastError = true)]
    private static extern int USleep(uint microseconds);
}
