using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Cluster.Tests.Support;

namespace Cluster.Tests.Console;

/// <summary>
/// The HTTP routes the console is built on, called as any automation would: recent ledger records
/// with a cursor and filters, usage series equal to <c>/usage</c>, live limit use, and a session
/// lookup scoped to the caller's tenant.
/// </summary>
public sealed class ConsoleApiTests(ConsoleFixture fixture) : IClassFixture<ConsoleFixture>
{
    [Fact]
    public async Task UsageRecords_PagedWithTheCursor_EveryRequestOnceNewestFirst()
    {
        var (tenant, key) = await NewTenantAsync();
        for (var i = 0; i < 7; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await fixture.Client.ChatAsync(fixture.Gateway.BaseUrl, key, ConsoleFixture.Model, content: $"record {i}")).Status);
        }

        var listed = new List<JsonNode>();
        var url = "/v1/usage/records?limit=3";
        var pages = 0;
        while (true)
        {
            var page = await GetAsync(url, key);
            Assert.Equal(tenant, page["tenant"]!.GetValue<string>());
            listed.AddRange(page["data"]!.AsArray().Select(r => r!));
            pages++;
            if (!page["has_more"]!.GetValue<bool>())
            {
                break;
            }

            url = "/v1/usage/records?limit=3&before=" + Uri.EscapeDataString(page["next_before"]!.GetValue<string>());
        }

        Assert.Equal(3, pages);
        Assert.Equal(7, listed.Count);
        Assert.Equal(7, listed.Select(r => r["id"]!.GetValue<string>()).Distinct().Count());
        var times = listed.Select(r => r["timestamp_ms"]!.GetValue<long>()).ToList();
        Assert.Equal(times.OrderDescending(), times);
        Assert.All(listed, r =>
        {
            Assert.Equal(ConsoleFixture.Model, r["model"]!.GetValue<string>());
            Assert.Equal("ok", r["status"]!.GetValue<string>());
            Assert.True(r["total_tokens"]!.GetValue<int>() > 0);
        });
        var usage = await GetAsync("/v1/usage", key);
        Assert.Equal(listed.Sum(r => r["total_tokens"]!.GetValue<long>()), usage["totals"]!["total_tokens"]!.GetValue<long>());

        Assert.Equal(7, (await GetAsync("/v1/usage/records?status=ok", key))["data"]!.AsArray().Count);
        Assert.Empty((await GetAsync("/v1/usage/records?model=no-such-model", key))["data"]!.AsArray());
        var bad = await fixture.Client.SendAsync(HttpMethod.Get, fixture.Gateway.BaseUrl + "/v1/usage/records?before=nonsense", key);
        Assert.Equal(HttpStatusCode.BadRequest, bad.Status);
        Assert.Equal("before", bad.Json["error"]!["param"]!.GetValue<string>());
    }

    [Fact]
    public async Task UsageSeries_ByDayAndByHour_TotalsAndRowsEqualUsage()
    {
        var (_, key) = await NewTenantAsync();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await fixture.Client.ChatAsync(fixture.Gateway.BaseUrl, key, ConsoleFixture.Model, content: $"series {i} {new string('x', i * 10)}")).Status);
        }

        var totals = (await GetAsync("/v1/usage", key))["totals"]!;
        foreach (var granularity in new[] { "day", "hour" })
        {
            var series = await GetAsync($"/v1/usage/series?granularity={granularity}", key);
            Assert.Equal(totals.ToJsonString(), series["totals"]!.ToJsonString());
            var rows = series["data"]!.AsArray();
            foreach (var field in new[] { "requests", "prompt_tokens", "completion_tokens", "total_tokens" })
            {
                Assert.Equal(totals[field]!.GetValue<long>(), rows.Sum(r => r![field]!.GetValue<long>()));
            }

            Assert.Equal(totals["cost_usd"]!.GetValue<decimal>(), rows.Sum(r => r!["cost_usd"]!.GetValue<decimal>()));
            Assert.True(totals["cost_usd"]!.GetValue<decimal>() > 0);
        }
    }

    [Fact]
    public async Task Limits_TenantWithLimits_WindowUseAndQuotaLeft()
    {
        var (tenant, key) = await NewTenantAsync(new JsonObject { ["rpm"] = 50, ["tokens_per_day"] = 100_000 });
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await fixture.Client.ChatAsync(fixture.Gateway.BaseUrl, key, ConsoleFixture.Model, maxTokens: 20)).Status);
        }

        var limits = await GetAsync("/v1/limits", key);
        Assert.Equal(tenant, limits["tenant"]!.GetValue<string>());
        var scope = limits["scopes"]!.AsArray().Single(s => s!["scope"]!.GetValue<string>() == "tenant")!;
        Assert.Equal(2, scope["requests_in_window"]!.GetValue<long>());
        Assert.Equal(50, scope["rpm"]!.GetValue<int>());
        var quotas = limits["quotas"]!;
        Assert.Equal(100_000 - limits["tokens_today"]!.GetValue<long>(), quotas["tokens_per_day_left"]!.GetValue<long>());
        Assert.True(limits["tokens_today"]!.GetValue<long>() > 0);

        // The admin route answers the same for that tenant.
        var admin = (await fixture.Client.SendAsync(HttpMethod.Get, $"{fixture.Gateway.BaseUrl}/admin/tenants/{tenant}/limits", ConsoleFixture.AdminKey)).Json;
        Assert.Equal(limits["tokens_today"]!.GetValue<long>(), admin["tokens_today"]!.GetValue<long>());
    }

    [Fact]
    public async Task Sessions_OwnTenantsSession_ShownAndNotToAnotherTenant()
    {
        var (tenant, key) = await NewTenantAsync();
        var session = "console-session-" + Guid.NewGuid().ToString("N")[..8];
        using (var request = new HttpRequestMessage(HttpMethod.Post, fixture.Gateway.BaseUrl + "/v1/chat/completions"))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            request.Headers.Add("x-session-id", session);
            request.Content = new StringContent($$"""{"model":"{{ConsoleFixture.Model}}","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json");
            using var response = await fixture.Client.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var own = await Eventually.ValueAsync(
            () => GetAsync($"/v1/sessions/{session}", key), s => s["requests"]!.GetValue<long>() >= 1, "the session to count the request", TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(100));

        Assert.Equal(tenant, own["tenant"]!.GetValue<string>());
        Assert.Equal(1, own["requests"]!.GetValue<long>());
        var other = await GetAsync($"/v1/sessions/{session}", ConsoleFixture.KeyB);
        Assert.Equal(ConsoleFixture.TenantB, other["tenant"]!.GetValue<string>());
        Assert.Equal(0, other["requests"]!.GetValue<long>());
    }

    private async Task<(string Tenant, string Key)> NewTenantAsync(JsonObject? limits = null)
    {
        var tenant = "console-api-" + Guid.NewGuid().ToString("N")[..8];
        var body = new JsonObject { ["models"] = new JsonArray("*") };
        if (limits is not null)
        {
            body["limits"] = limits;
        }

        await fixture.Admin.PutTenantAsync(tenant, body);
        var (_, secret) = await fixture.Admin.IssueKeyAsync(tenant);
        return (tenant, secret);
    }

    private async Task<JsonNode> GetAsync(string path, string key)
    {
        var response = await fixture.Client.SendAsync(HttpMethod.Get, fixture.Gateway.BaseUrl + path, key);
        Assert.True(response.Status == HttpStatusCode.OK, $"GET {path}: {(int)response.Status} {response.Body}");
        return response.Json;
    }
}
