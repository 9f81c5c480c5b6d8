using System.Diagnostics;
using System.Globalization;
using Cluster.Bench.Gateway;
using Cluster.Bench.Load;
using Cluster.Bench.Processes;
using Cluster.Bench.Reporting;
using Cluster.Bench.Upstream;

namespace Cluster.Bench.Runner;

/// <summary>One reproducible run: start every target, measure them side by side, stop them all, write the report.</summary>
internal sealed class BenchRunner(BenchSettings settings)
{
    private const int AzuriteTablePort = 10002;

    /// <summary>True once this run started Azurite through the script, so it also stops it.</summary>
    private bool _azuriteStarted;

    private Storage.DelayingTcpProxy? _storageProxy;

    public async Task<int> RunAsync()
    {
        var wall = Stopwatch.StartNew();
        var runDirectory = Directory.CreateTempSubdirectory("cluster-bench-").FullName;
        var run = new BenchRun(settings, MachineInfo.Collect(settings.RepoRoot), runDirectory);
        Progress.Line($"cluster bench, {settings.Mode} mode, commit {run.Machine.Commit}; logs and configs in {runDirectory}");

        var dotnet = DotnetHost();
        using var client = BenchHttpClient.Create();
        var registry = new ChildProcessRegistry();
        try
        {
            var ct = registry.Shutdown;
            var own = new OwnServers(registry, runDirectory, dotnet);
            var (upstreamProcess, upstreamRoot) = await own.StartUpstreamAsync(settings, ct);
            var upstream = new FakeUpstreamClient(client, upstreamRoot);
            var launcher = new GatewayLauncher(new GatewayLayout(settings.RepoRoot), registry, client, runDirectory, dotnet);
            var load = new LoadGenerator(new RequestSender(client));

            var direct = new BenchTarget("direct", "client → fake upstream") { BaseUri = new Uri(upstreamRoot, "v1/") };
            direct.Processes.Add(upstreamProcess);
            run.Targets.Add(direct);

            if (settings.LoadRounds && settings.Targets.Contains("yarp"))
            {
                var (yarp, yarpRoot) = await own.StartYarpAsync(upstreamRoot, ct);
                var target = new BenchTarget("yarp", "client → YARP → upstream") { BaseUri = new Uri(yarpRoot, "v1/") };
                target.Processes.Add(yarp);
                run.Targets.Add(target);
            }

            var gatewayTargets = settings.LoadRounds
                ? new[] { "gateway", "gateway+ledger", "gateway+limits", "cluster", "cluster+ledger", "cluster+limits" }.Where(settings.Targets.Contains).ToList()
                : [];
            string? buildFailure = null;
            if (gatewayTargets.Count > 0 || settings.Accuracy)
            {
                if (settings.Build)
                {
                    Progress.Line("building api/ and silo/ (Release)…");
                    var build = Stopwatch.StartNew();
                    buildFailure = await launcher.BuildAsync(ct);
                    run.Notes.Add(buildFailure ?? string.Create(CultureInfo.InvariantCulture, $"gateway built in {build.Elapsed.TotalSeconds:0} s (`dotnet build -c Release` of api/ and silo/)"));
                }
                else
                {
                    run.Notes.Add("gateway not rebuilt (--no-build): the existing Release output was used");
                }
            }

            var measureStart = Stopwatch.StartNew();
            await StartGatewaysAsync(run, launcher, upstreamRoot, gatewayTargets, buildFailure, client, ct);

            // Targets are separate processes: probe and calibrate them all at once.
            await Task.WhenAll(run.Targets.Where(t => t.Ready).Select(target => ProbeAsync(run, client, target, ct)));

            var ready = run.Targets.Where(t => t.Ready).ToList();
            if (settings.LoadRounds)
            {
                Progress.Line($"measuring {string.Join(", ", ready.Select(t => t.Name))}; {settings.Rounds} rounds × {settings.RoundDuration.TotalSeconds:0.#} s per cell");
                var closed = new ClosedLoopPhase(run, load, upstream);
                await closed.WarmUpAsync(ready, ct);
                await closed.RunAsync(ready, ct);
            }

            if (settings.OpenLoop)
            {
                await new OpenLoopPhase(run, load).RunAsync(ready, ct);
            }

            if (settings.MemoryCheck)
            {
                var target = ready.FirstOrDefault(t => t.Name == "gateway+limits") ?? ready.FirstOrDefault(t => t.Name == "gateway");
                if (target is null)
                {
                    run.MemorySkipped = "no single-process gateway target is running";
                }
                else
                {
                    run.Memory = await new MemoryCheck(run, load).RunAsync(target, ct);
                }
            }

            if (settings.Accuracy)
            {
                run.Accuracy = await RunAccuracyAsync(launcher, client, upstream, upstreamRoot, buildFailure, runDirectory, ct);
            }

            run.MeasuringTime = measureStart.Elapsed;
            run.LoadAtEnd = MachineInfo.LoadAverage();
            foreach (var child in registry.All())
            {
                child.PeakRssBytes();
            }

            run.ClientPeakRssBytes = ProcessMemory.PeakRssBytes(Environment.ProcessId);
        }
        catch (OperationCanceledException) when (registry.Shutdown.IsCancellationRequested)
        {
            Console.Error.WriteLine("cancelled: child processes stopped, no report written");
            return 130;
        }
        finally
        {
            await registry.DisposeAsync();
            if (_storageProxy is not null)
            {
                await _storageProxy.DisposeAsync();
            }

            if (_azuriteStarted)
            {
                await AzuriteScript.RunAsync(settings.RepoRoot, "stop", Path.Combine(runDirectory, "azurite"));
            }
        }

        run.Processes = registry.All();
        run.WallTime = wall.Elapsed;
        var markdown = MarkdownReport.Render(run);
        Directory.CreateDirectory(Path.GetDirectoryName(settings.OutPath)!);
        await File.WriteAllTextAsync(settings.OutPath, markdown);
        Console.WriteLine();
        Console.WriteLine(markdown);
        Console.WriteLine($"report written to {settings.OutPath}; wall time {wall.Elapsed.TotalSeconds:0} s");
        return 0;
    }

    private static async Task ProbeAsync(BenchRun run, HttpClient client, BenchTarget target, CancellationToken cancellationToken)
    {
        await TargetProbe.ProbeAsync(client, target, cancellationToken);
        if (target.Failure is not null)
        {
            Progress.Line($"{target.Name}: FAILED probe: {target.Failure}");
            return;
        }

        if (target.Metrics is not null)
        {
            await target.Metrics.CalibrateAsync(cancellationToken);
            var note = $"{target.Name} /metrics: allocations from `{target.Metrics.AllocationMetric ?? "(none found)"}`, grain calls from `{target.Metrics.GrainCallMetric ?? "(none found)"}`"
                + string.Create(CultureInfo.InvariantCulture, $"; one scrape allocates ~{target.Metrics.ScrapeAllocationBytes / 1024:0} KiB, taken off each round");
            lock (run.Notes)
            {
                run.Notes.Add(note);
            }
        }
    }

    private async Task StartGatewaysAsync(
        BenchRun run,
        GatewayLauncher launcher,
        Uri upstreamRoot,
        List<string> names,
        string? buildFailure,
        HttpClient metricsClient,
        CancellationToken cancellationToken)
    {
        string? clusterUnavailable = null;
        string? storage = null;
        if (names.Any(n => n.StartsWith("cluster", StringComparison.Ordinal)))
        {
            clusterUnavailable = await PrepareAzuriteAsync(run, cancellationToken);
            if (clusterUnavailable is null)
            {
                storage = await PrepareStorageAsync(run, cancellationToken);
            }
        }

        var starts = new List<Task>();
        foreach (var name in names)
        {
            var limits = name.EndsWith("+limits", StringComparison.Ordinal);
            var ledgerOnly = name.EndsWith("+ledger", StringComparison.Ordinal);
            var variant = limits ? GatewayVariant.On : ledgerOnly ? GatewayVariant.LedgerOnly : GatewayVariant.Off;
            var cluster = name.StartsWith("cluster", StringComparison.Ordinal);
            var target = new BenchTarget(
                name,
                (cluster ? "client → API (Orleans client) → 2 silos → upstream" : "client → gateway (co-hosted silo) → upstream")
                + (limits ? "; keys, limits and ledger on" : ledgerOnly ? "; ledger on, no auth or limits" : "; no auth, limits or ledger"))
            {
                BearerToken = variant.BearerToken,
            };
            run.Targets.Add(target);
            if (buildFailure is not null)
            {
                target.Failure = buildFailure;
                continue;
            }

            if (cluster && clusterUnavailable is not null)
            {
                target.Failure = "skipped: " + clusterUnavailable;
                Progress.Line($"{name}: {target.Failure}");
                continue;
            }

            var config = GatewayConfigFile.Write(run.RunDirectory, name.Replace('+', '-'), GatewayConfigFile.Build(upstreamRoot, variant));
            starts.Add(StartOneAsync(target, variant, config, cluster));
        }

        // Start-ups overlap: Orleans spends most of its start-up waiting, not computing.
        await Task.WhenAll(starts);

        async Task StartOneAsync(BenchTarget target, GatewayVariant variant, string config, bool cluster)
        {
            try
            {
                var started = Stopwatch.StartNew();
                var clusterId = string.Create(CultureInfo.InvariantCulture, $"bench-{DateTime.UtcNow:yyyyMMddHHmmss}-{target.Name.Replace("+", "-", StringComparison.Ordinal)}");
                var instance = cluster
                    ? await launcher.StartClusterAsync(target.Name, variant, config, clusterId, storage, cancellationToken)
                    : await launcher.StartSingleAsync(target.Name, variant, config, cancellationToken);
                target.Gateway = instance;
                target.BaseUri = instance.BaseUri;
                target.Processes.AddRange(instance.Processes);
                target.Metrics = new GatewayMetricsProbe(metricsClient, instance.MetricsUri);
                Progress.Line(string.Create(CultureInfo.InvariantCulture, $"{target.Name}: ready in {started.Elapsed.TotalSeconds:0.0} s at {instance.BaseUri}"));
            }
            catch (InvalidOperationException ex)
            {
                target.Failure = ex.Message;
                Progress.Line($"{target.Name}: FAILED to start: {ex.Message}");
            }
        }
    }

    /// <summary>
    /// The storage the cluster rows use (Azurite, or a delaying proxy in front of it), with one write's
    /// round trip measured on its own for the report.
    /// </summary>
    private async Task<string> PrepareStorageAsync(BenchRun run, CancellationToken cancellationToken)
    {
        var port = AzuriteTablePort;
        if (settings.StorageDelayMs > 0)
        {
            _storageProxy = Storage.DelayingTcpProxy.Start(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, AzuriteTablePort), TimeSpan.FromMilliseconds(settings.StorageDelayMs));
            port = _storageProxy.Port;
            run.Notes.Add(string.Create(CultureInfo.InvariantCulture, $"cluster rows: storage behind a proxy adding {settings.StorageDelayMs} ms per request (`--storage-delay-ms`)"));
        }

        var connectionString = Storage.StorageRoundTrip.AzuriteConnectionString(port);
        run.StorageWrite = await Storage.StorageRoundTrip.MeasureAsync(connectionString, 200, cancellationToken);
        return connectionString;
    }

    /// <summary>Null when Azurite answers on the table port; otherwise why the cluster rows are skipped.</summary>
    private async Task<string?> PrepareAzuriteAsync(BenchRun run, CancellationToken cancellationToken)
    {
        if (await PortProbe.IsListeningAsync(AzuriteTablePort, TimeSpan.FromSeconds(1)))
        {
            run.Notes.Add("Azurite was already answering on 127.0.0.1:10002");
            return null;
        }

        if (!settings.StartAzurite)
        {
            return "Azurite does not answer on 127.0.0.1:10002 (start it, or pass --azurite to use deploy/local/azurite.sh)";
        }

        Progress.Line("starting Azurite with deploy/local/azurite.sh…");
        var failure = await AzuriteScript.RunAsync(settings.RepoRoot, "start", Path.Combine(run.RunDirectory, "azurite"));
        if (failure is not null)
        {
            return failure;
        }

        _azuriteStarted = true;

        for (var i = 0; i < 50 && !cancellationToken.IsCancellationRequested; i++)
        {
            if (await PortProbe.IsListeningAsync(AzuriteTablePort, TimeSpan.FromSeconds(1)))
            {
                run.Notes.Add("Azurite started by deploy/local/azurite.sh for this run and stopped after it");
                return null;
            }

            await Task.Delay(200, cancellationToken);
        }

        run.Notes.Add("Azurite started by deploy/local/azurite.sh for this run and stopped after it");
        return "deploy/local/azurite.sh start ran, but nothing answers on 127.0.0.1:10002";
    }

    private static async Task<AccuracyResult> RunAccuracyAsync(
        GatewayLauncher launcher,
        HttpClient client,
        FakeUpstreamClient upstream,
        Uri upstreamRoot,
        string? buildFailure,
        string runDirectory,
        CancellationToken cancellationToken)
    {
        var variant = GatewayVariant.Accuracy;
        if (buildFailure is not null)
        {
            return new AccuracyResult(variant.Rpm, [], buildFailure);
        }

        GatewayInstance? gateway = null;
        try
        {
            var config = GatewayConfigFile.Write(runDirectory, "accuracy", GatewayConfigFile.Build(upstreamRoot, variant));
            gateway = await launcher.StartSingleAsync("gateway-accuracy", variant, config, cancellationToken);
            Progress.Line($"accuracy: tenant limited to {variant.Rpm} requests/minute, bursts of {AccuracyCheck.BurstSize} concurrent requests");
            return await new AccuracyCheck(client, upstream).RunAsync(gateway, cancellationToken);
        }
        catch (InvalidOperationException ex)
        {
            return new AccuracyResult(variant.Rpm, [], ex.Message);
        }
        finally
        {
            if (gateway is not null)
            {
                await launcher.StopAsync(gateway);
            }
        }
    }

    /// <summary>The dotnet host running this bench, so children use the same runtime.</summary>
    private static string DotnetHost()
    {
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet")
        {
            return current;
        }

        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
    }
}
