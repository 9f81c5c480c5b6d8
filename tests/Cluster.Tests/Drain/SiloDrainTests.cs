using System.Diagnostics;
using System.Net;
using Cluster.Tests.Support;
using Xunit.Abstractions;

namespace Cluster.Tests.Drain;

/// <summary>
/// A silo process stopped with SIGTERM, as <c>docker stop</c> or Kubernetes stops it: readiness
/// turns 503 while it drains, it leaves the membership table cleanly, and it exits 0.
/// </summary>
public sealed class SiloDrainTests(ITestOutputHelper output) : IAsyncLifetime
{
    private FakeUpstream _upstream = null!;
    private DrainConfig _config = null!;
    private SiloProcessCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstream.StartAsync("drain-upstream");
        _config = new DrainConfig(_upstream.BaseUrl);
        _cluster = await SiloProcessCluster.Create().WithConfig(_config.Json).WithServiceId(_config.ServiceId).BuildAsync();
    }

    [Fact]
    public async Task Sigterm_SiloInCluster_ReadinessTurns503LeavesMembershipAndExitsZero()
    {
        var staying = await _cluster.StartSiloAsync();
        var leaving = await _cluster.StartSiloAsync();
        var (_, api) = await _cluster.StartApiProcessAsync();
        var ready = await _cluster.ProbeAsync(leaving.HttpUrl + "/health/ready");
        Assert.True(ready.Status == HttpStatusCode.OK, $"{ready.Status}: {ready.Body}");
        Assert.Contains("\"status\":\"ready\"", ready.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await _cluster.ProbeAsync(leaving.HttpUrl + "/health/live")).Status);
        Assert.Equal("Active", await _cluster.MembershipStatusAsync(leaving.SiloPort));

        // Give the leaving silo grains to deactivate: requests spread over the model's shards.
        for (var i = 0; i < 8; i++)
        {
            var response = await _cluster.Client.ChatAsync(api, _config.Key, DrainConfig.Model);
            Assert.Equal(HttpStatusCode.OK, response.Status);
        }

        var clock = Stopwatch.StartNew();
        leaving.Terminate();

        // Probe as fast as answers come until the process is gone: while it drains it answers 503.
        var answers = new List<(HttpStatusCode? Status, string Body)>();
        while (!leaving.HasExited)
        {
            answers.Add(await _cluster.ProbeAsync(leaving.HttpUrl + "/health/ready"));
        }

        var exitCode = await leaving.WaitForExitAsync(TimeSpan.FromSeconds(40));
        var drained = clock.Elapsed;
        var status = await _cluster.MembershipStatusAsync(leaving.SiloPort);
        output.WriteLine($"SIGTERM to exit: {drained.TotalMilliseconds:F0} ms, exit code {exitCode}; readiness answers while stopping: "
            + string.Join(", ", answers.GroupBy(a => a.Status?.ToString() ?? "refused").Select(g => $"{g.Key} ×{g.Count()}"))
            + $"; membership row: {status}");

        Assert.True(exitCode == 0, $"exit code {exitCode}:{Environment.NewLine}{leaving.Output}");
        // The signal is handled a moment after it is sent; from the first answer that is not 200 on,
        // readiness never comes back.
        var firstNotReady = answers.FindIndex(a => a.Status != HttpStatusCode.OK);
        Assert.True(firstNotReady >= 0, "readiness answered 200 until the process exited");
        Assert.DoesNotContain(answers.Skip(firstNotReady), a => a.Status == HttpStatusCode.OK);
        Assert.Contains(answers, a => a.Status == HttpStatusCode.ServiceUnavailable && a.Body.Contains("\"reason\":\"stopping\"", StringComparison.Ordinal));
        Assert.Equal("Dead", status);
        Assert.Contains("Drained: the silo stopped", leaving.Output, StringComparison.Ordinal);

        // The cluster goes on without it.
        Assert.Equal(HttpStatusCode.OK, (await _cluster.ProbeAsync(staying.HttpUrl + "/health/ready")).Status);
        Assert.Equal(HttpStatusCode.OK, (await _cluster.Client.ChatAsync(api, _config.Key, DrainConfig.Model)).Status);
    }

    [Fact]
    public async Task Metrics_RunningSilo_ServesOrleansAndRuntimeMeters()
    {
        var silo = await _cluster.StartSiloAsync();
        var (status, body) = await _cluster.ProbeAsync(silo.HttpUrl + "/metrics");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("orleans_catalog_activations", body, StringComparison.Ordinal);
        Assert.Contains("dotnet_process_cpu_time_seconds_total", body, StringComparison.Ordinal);
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _upstream.DisposeAsync();
    }
}
