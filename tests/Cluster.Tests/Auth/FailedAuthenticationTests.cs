using System.Diagnostics;
using System.Net;
using Cluster.Tests.Support;

namespace Cluster.Tests.Auth;

/// <summary>
/// Repeated wrong keys from one address are answered ever more slowly, then refused with 429 for
/// the lockout period, whatever key comes next; on the model API and the admin API alike. Each
/// test runs its own gateway: the lockout is per address, and every test client is 127.0.0.1.
/// </summary>
public sealed class FailedAuthenticationTests : IDisposable
{
    private const string AdminKey = "admin-lockout-secret";
    private const string TenantKey = "sk-lockout-tenant";
    private readonly GatewayClient _client = new();

    [Fact]
    public async Task Chat_RepeatedWrongKeys_SlowedThenRefusedWith429EvenForAGoodKey()
    {
        await using var gateway = await StartAsync();

        var first = await _client.ChatAsync(gateway.BaseUrl, "sk-wrong-1", "echo");
        var clock = Stopwatch.StartNew();
        var second = await _client.ChatAsync(gateway.BaseUrl, "sk-wrong-2", "echo");
        var secondTook = clock.Elapsed;
        var third = await _client.ChatAsync(gateway.BaseUrl, "sk-wrong-3", "echo");
        var good = await _client.ChatAsync(gateway.BaseUrl, TenantKey, "echo");

        Assert.Equal(HttpStatusCode.Unauthorized, first.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, second.Status);

        // The second failure waits 2 × FailureDelayMilliseconds before it is answered.
        Assert.True(secondTook >= TimeSpan.FromMilliseconds(200), $"The second failure took {secondTook.TotalMilliseconds} ms.");
        foreach (var refused in new[] { third, good })
        {
            Assert.Equal((HttpStatusCode)429, refused.Status);
            Assert.Equal("too_many_failed_authentications", refused.Json["error"]!["code"]!.GetValue<string>());
            var retryAfter = int.Parse(refused.Header("Retry-After")!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(retryAfter, 1, 120);
        }
    }

    [Fact]
    public async Task Chat_GoodKeysAndMissingKeys_NeverLockOut()
    {
        await using var gateway = await StartAsync();

        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            answers.Add((await _client.ChatAsync(gateway.BaseUrl, TenantKey, "echo")).Status);
            answers.Add((await _client.ChatAsync(gateway.BaseUrl, null, "echo")).Status);
        }

        Assert.Equal(6, answers.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(6, answers.Count(s => s == HttpStatusCode.Unauthorized));
    }

    [Fact]
    public async Task Admin_RepeatedWrongAdminKeys_RefusedWith429EvenForTheRightKey()
    {
        await using var gateway = await StartAsync();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            statuses.Add((await _client.SendAsync(HttpMethod.Get, gateway.BaseUrl + "/admin/tenants", $"wrong-admin-{i}")).Status);
        }

        var right = await _client.SendAsync(HttpMethod.Get, gateway.BaseUrl + "/admin/tenants", AdminKey);

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, (HttpStatusCode)429], statuses);
        Assert.Equal((HttpStatusCode)429, right.Status);
        Assert.Equal("too_many_failed_authentications", right.Json["error"]!["code"]!.GetValue<string>());
    }

    public void Dispose() => _client.Dispose();

    private static Task<GatewayHost> StartAsync() => GatewayHost.StartAsync(
        new
        {
            Auth = new { Mode = "Keys", AdminKey, MaxFailedAttempts = 3, LockoutSeconds = 60, FailureDelayMilliseconds = 100 },
            Models = new object[] { new { Name = "echo", Deployments = new[] { new { Provider = "echo" } } } },
            Tenants = new object[] { new { Id = "lockout", Keys = new[] { TenantKey }, Models = new[] { "*" } } },
        });
}
