using System.Runtime.InteropServices;

namespace Cluster.Bench.Processes;

/// <summary>SIGTERM, so a child can shut down cleanly before it is killed.</summary>
internal static partial class PosixSignals
{
    private const int SigTerm = 15;

    public static bool Terminate(int pid) => OperatingSystem.IsLinux() && Kill(pid, SigTerm) == 0;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
