using System.Net;
using System.Text.Json.Nodes;
using Cluster.Grains.Access;
using Cluster.Tests.Support;
using Microsoft.Extensions.Logging;

namespace Cluster.Tests.Auth;

/// <summary>
/// A run at Trace level (every category) that uses every kind of secret: tenant keys from
/// configuration and from the admin API, wrong keys, the admin key, and a backend's API key on a
/// deployment that answers, one that fails and one that rejects. No log line holds any of them,
/// nor their hashes.
/// </summary>
public sealed class SecretLoggingTests : IAsyncLifetime, IDisposable
{
    private const string AdminKey = "admin-log-secret-4b1d";
    private const string TenantKey = "sk-log-tenant-secret-77aa";
    private const string UpstreamKey = "upstream-log-secret-9c3e";
    private const string WrongKey = "sk-log-wrong-secret-5f5f";
    private readonly CapturedLogs _logs = new();
    private readonly GatewayClient _client = new();
    private FakeUpstream _upstream = null!;
    private FakeUpstream _failing = null!;
    private GatewayHost _gateway = null!;

    public async Task InitializeAsync()
    {
        _upstream = await FakeUpstream.StartAsync("log-upstream");
        _failing = await FakeUpstream.StartAsync("log-failing");
        _failing.FailWithStatus = 500;
        var config = new
        {
            Auth = new { Mode = "Keys", AdminKey, MaxFailedAttempts = 100 },
            Models = new object[]
            {
                new { Name = "good", Deployments = new object[] { new { Provider = "openai", _upstream.BaseUrl, ApiKey = UpstreamKey } } },
                new { Name = "bad", Deployments = new object[] { new { Provider = "openai", _failing.BaseUrl, ApiKey = UpstreamKey } } },
            },
            Tenants = new object[] { new { Id = "logs", Keys = new[] { TenantKey }, Models = new[] { "*" } } },
        };
        _gateway = await GatewayHost.StartAsync(
            config,
            builder =>
            {
                builder.Logging.SetMinimumLevel(LogLevel.Trace);
                builder.Logging.AddProvider(_logs);

                // A rule for this provider alone overrides every category rule of the configuration.
                builder.Logging.AddFilter<CapturedLogs>(null, LogLevel.Trace);
            },
            "--Logging:LogLevel:Default", "Trace",
            "--Routing:FailureThreshold", "1000");
    }

    [Fact]
    public async Task Run_AtTraceLevel_NoLineHoldsAKeyOrItsHash()
    {
        var served = await _client.ChatAsync(_gateway.BaseUrl, TenantKey, "good");
        var failed = await _client.ChatAsync(_gateway.BaseUrl, TenantKey, "bad");
        var wrong = await _client.ChatAsync(_gateway.BaseUrl, WrongKey, "good");
        var wrongAdmin = await _client.SendAsync(HttpMethod.Get, _gateway.BaseUrl + "/admin/tenants", WrongKey + "-admin");
        var admin = new AdminApi(_client, _gateway.BaseUrl, AdminKey);
        var (_, issued) = await admin.IssueKeyAsync("logs", new JsonObject { ["name"] = "issued" });
        var withIssued = await _client.ChatAsync(_gateway.BaseUrl, issued, "good");

        Assert.Equal(HttpStatusCode.OK, served.Status);
        Assert.Equal(HttpStatusCode.BadGateway, failed.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongAdmin.Status);
        Assert.Equal(HttpStatusCode.OK, withIssued.Status);
        Assert.True(_logs.Lines.Count > 100, $"Only {_logs.Lines.Count} lines were captured: is Trace on?");
        string[] secrets = [AdminKey, TenantKey, UpstreamKey, WrongKey, issued];
        foreach (var secret in secrets.Concat(secrets.Select(KeyHash.Of)))
        {
            var leak = _logs.Lines.FirstOrDefault(line => line.Contains(secret, StringComparison.Ordinal));
            Assert.True(leak is null, $"A log line holds a secret: {leak}");
        }
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
        await _failing.DisposeAsync();
    }

    public void Dispose() => _client.Dispose();
}
