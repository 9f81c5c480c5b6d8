using System.Diagnostics;

namespace Cluster.Bench.Runner;

/// <summary>Calls <c>deploy/local/azurite.sh start|stop DIR</c>; returns null or why it failed.</summary>
internal static class AzuriteScript
{
    public static async Task<string?> RunAsync(string repoRoot, string verb, string directory)
    {
        var script = Path.Combine(repoRoot, "deploy", "local", "azurite.sh");
        if (!File.Exists(script))
        {
            return $"{script} does not exist yet";
        }

        Directory.CreateDirectory(directory);
        var info = new ProcessStartInfo("bash") { WorkingDirectory = repoRoot, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(verb);
        info.ArgumentList.Add(directory);
        using var process = Process.Start(info);
        if (process is null)
        {
            return "could not run bash";
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var errors = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return $"azurite.sh {verb} did not finish within 60 s";
        }

        return process.ExitCode == 0 ? null : $"azurite.sh {verb} failed (exit {process.ExitCode}): {(await output + await errors).Trim()}";
    }
}
