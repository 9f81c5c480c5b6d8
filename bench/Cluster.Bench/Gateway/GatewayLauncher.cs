using System.Diagnostics;
using System.Globalization;
using Cluster.Bench.Processes;

namespace Cluster.Bench.Gateway;

/// <summary>Starts the gateway's own build output as child processes and waits until it is ready.</summary>
internal sealed class GatewayLauncher(
    GatewayLayout layout,
    ChildProcessRegistry registry,
    HttpClient client,
    string runDirectory,
    string dotnet)
{
    private static readonly TimeSpan SingleReadyTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ClusterReadyTimeout = TimeSpan.FromSeconds(120);

    /// <summary><c>dotnet build -c Release</c> of the API and the silo; returns null or the reason it failed.</summary>
    public async Task<string?> BuildAsync(CancellationToken cancellationToken)
    {
        foreach (var project in new[] { layout.ApiProject, layout.SiloProject })
        {
            var log = Path.Combine(runDirectory, $"build-{Path.GetFileNameWithoutExtension(project)}.log");
            var info = new ProcessStartInfo(dotnet)
            {
                WorkingDirectory = layout.RepoRoot,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[] { "build", "-c", "Release", "-nologo", "-v:q", project })
            {
                info.ArgumentList.Add(arg);
            }

            using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start dotnet build");
            var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var errors = process.StandardError.ReadToEndAsync(cancellationToken);
            try
            {
                await process.WaitForExitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }

            var text = await output + await errors;
            await File.WriteAllTextAsync(log, text, cancellationToken);
            if (process.ExitCode != 0)
            {
                var firstErrors = text.Split('\n').Where(line => line.Contains("error", StringComparison.OrdinalIgnoreCase)).Take(3);
                return $"build of {Path.GetFileName(project)} failed (exit {process.ExitCode}): {string.Join(" | ", firstErrors).Trim()} (log {log})";
            }
        }

        return null;
    }

    /// <summary>One process: the API with a co-hosted silo on localhost clustering; with <paramref name="join"/>, its silo joins that gateway's cluster.</summary>
    public async Task<GatewayInstance> StartSingleAsync(string name, GatewayVariant variant, string configPath, CancellationToken cancellationToken, GatewayInstance? join = null)
    {
        RequireBuilt(layout.ApiDll);
        var port = FreePorts.Next();
        var siloPort = FreePorts.Next();
        var gatewayPort = FreePorts.Next();

        // Each co-hosted silo gets its own ports: several gateways run side by side.
        var api = StartDll(
            name,
            "gateway (co-hosted silo)",
            layout.ApiDll,
            [
                "--config", configPath,
                "--urls", Url(port),
                Invariant($"--Cluster:SiloPort={siloPort}"),
                Invariant($"--Cluster:PrimarySiloPort={join?.SiloPort ?? siloPort}"),
                Invariant($"--Cluster:GatewayPort={gatewayPort}"),
            ]);
        var instance = new GatewayInstance(name, variant, new Uri(Url(port) + "/"), api, []) { SiloPort = siloPort };
        await WaitReadyAsync(instance, SingleReadyTimeout, cancellationToken);
        return instance;
    }

    /// <summary>Two silo processes on Azure Table clustering (Azurite) and the API as their client.</summary>
    public async Task<GatewayInstance> StartClusterAsync(string name, GatewayVariant variant, string configPath, string clusterId, string? storageConnectionString, CancellationToken cancellationToken)
    {
        RequireBuilt(layout.ApiDll);
        RequireBuilt(layout.SiloDll);
        string[] shared =
        [
            "--config", configPath,
            "--Clustering:Provider=AzureTable",
            "--Storage:Provider=AzureTable",
            $"--Cluster:ClusterId={clusterId}",
            $"--Cluster:ServiceId={clusterId}",
            .. storageConnectionString is null ? Array.Empty<string>() : [$"--Storage:ConnectionString={storageConnectionString}"],
        ];
        var silos = new List<ChildProcess>();
        var gatewayPorts = new List<int>();
        for (var i = 0; i < 2; i++)
        {
            var siloPort = FreePorts.Next();
            var gatewayPort = FreePorts.Next();
            gatewayPorts.Add(gatewayPort);
            silos.Add(StartDll(
                $"{name}-silo{i + 1}",
                "silo",
                layout.SiloDll,
                [.. shared, $"--Cluster:SiloPort={siloPort}", $"--Cluster:GatewayPort={gatewayPort}", "--urls", Url(FreePorts.Next())]));
        }

        var port = FreePorts.Next();
        string[] apiArgs =
        [
            .. shared,
            "--urls", Url(port),
            "--Cluster:Mode=Client",
            .. gatewayPorts.Select((p, i) => string.Create(CultureInfo.InvariantCulture, $"--Cluster:Gateways:{i}={p}")),
        ];
        var api = StartDll($"{name}-api", "gateway API (Orleans client)", layout.ApiDll, apiArgs);
        var instance = new GatewayInstance(name, variant, new Uri(Url(port) + "/"), api, silos);
        await WaitReadyAsync(instance, ClusterReadyTimeout, cancellationToken);
        return instance;
    }

    public async Task StopAsync(GatewayInstance instance)
    {
        foreach (var process in instance.Processes)
        {
            await registry.StopAsync(process);
        }
    }

    private static string Url(int port) => Invariant($"http://127.0.0.1:{port}");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static void RequireBuilt(string dll)
    {
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"{dll} does not exist: build failed or was skipped");
        }
    }

    private ChildProcess StartDll(string name, string role, string dll, IEnumerable<string> args)
    {
        // The build output folder is the content root, so the gateway's own appsettings.json applies.
        var child = ChildProcess.Start(
            name,
            role,
            dotnet,
            args.Prepend(dll),
            Path.GetDirectoryName(dll)!,
            Path.Combine(runDirectory, $"{name}.log"));
        return registry.Add(child);
    }

    private async Task WaitReadyAsync(GatewayInstance instance, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        string last = "no answer yet";
        while (Stopwatch.GetElapsedTime(started) < timeout)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (instance.Processes.FirstOrDefault(p => p.HasExited) is { } dead)
            {
                throw new InvalidOperationException($"{dead.Name} exited while starting. {dead.DescribeTail()}");
            }

            try
            {
                using var probe = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, probe.Token);
                using var response = await client.GetAsync(instance.ReadyUri, linked.Token);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }

                last = $"HTTP {(int)response.StatusCode}";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                last = ex.Message;
            }

            await Task.Delay(200, cancellationToken);
        }

        throw new InvalidOperationException(
            $"{instance.Name}: GET {instance.ReadyUri} not 200 within {timeout.TotalSeconds:0} s (last: {last}). {instance.Api.DescribeTail()}");
    }
}
