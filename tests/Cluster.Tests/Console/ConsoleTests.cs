using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Cluster.Tests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Cluster.Tests.Console;

/// <summary>
/// The console at <c>/ui/</c> in a real browser (headless Chromium driven by Playwright): what a
/// user signed in with a tenant key or the admin key sees equals what the HTTP API answers, key
/// management works end to end, admin views refuse tenant keys, and the layout fits a phone.
/// A screenshot of each page is saved under <c>TestResults/console/</c>.
/// </summary>
public sealed partial class ConsoleTests(ConsoleFixture fixture) : IClassFixture<ConsoleFixture>
{
    [Fact]
    public async Task SignIn_TenantKey_TotalsEqualUsageAndTheChartIsDrawn()
    {
        await SendChatsAsync(ConsoleFixture.KeyA, 3);
        var usage = (await fixture.Client.SendAsync(HttpMethod.Get, fixture.Gateway.BaseUrl + "/v1/usage", ConsoleFixture.KeyA)).Json;
        var totals = usage["totals"]!;
        var page = await fixture.NewPageAsync();
        var problems = new List<string>();
        page.PageError += (_, error) => problems.Add(error);
        page.Console += (_, message) =>
        {
            // (The sign-in probe's 403 from /admin/tenants is logged as a failed load: expected.)
            if (message.Type == "error" && message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
            {
                problems.Add(message.Text);
            }
        };

        await SignInAsync(page, ConsoleFixture.KeyA);

        await Expect(page.Locator("#who")).ToContainTextAsync(ConsoleFixture.TenantA);
        await Expect(page.Locator("#total-requests")).ToHaveTextAsync(Count(totals["requests"]!));
        await Expect(page.Locator("#total-prompt-tokens")).ToHaveTextAsync(Count(totals["prompt_tokens"]!));
        await Expect(page.Locator("#total-completion-tokens")).ToHaveTextAsync(Count(totals["completion_tokens"]!));
        await Expect(page.Locator("#total-tokens")).ToHaveTextAsync(Count(totals["total_tokens"]!));
        Assert.True(totals["requests"]!.GetValue<long>() >= 3);

        // The chart: a canvas drawn by uPlot with the model as a series.
        await Expect(page.Locator("#usage-chart canvas")).ToHaveCountAsync(1);
        await Expect(page.Locator("#usage-chart .u-legend")).ToContainTextAsync(ConsoleFixture.Model);
        var drawn = await page.EvaluateAsync<bool>("() => { const c = document.querySelector('#usage-chart canvas'); return c.width > 0 && c.height > 0; }");
        Assert.True(drawn);
        await Expect(page.Locator("#usage-by-model td[data-col='group']")).ToHaveTextAsync(ConsoleFixture.Model);
        await ScreenshotAsync(page, "usage-tenant");

        // Nothing was blocked by the Content-Security-Policy or failed in a script.
        Assert.Empty(problems);
    }

    [Fact]
    public async Task Keys_AdminCreatesUsesAndRevokesAKey_SecretShownOnceAndRefusedAfterRevoking()
    {
        var tenant = "console-keys-" + Guid.NewGuid().ToString("N")[..8];
        await fixture.Admin.PutTenantAsync(tenant, new JsonObject { ["models"] = new JsonArray("*") });
        var page = await fixture.NewPageAsync();
        page.Dialog += (_, dialog) => _ = dialog.AcceptAsync();
        await SignInAsync(page, ConsoleFixture.AdminKey);
        await page.Locator("#tenant").SelectOptionAsync(tenant);
        await page.GetByRole(AriaRole.Link, new() { Name = "Tenants and keys" }).ClickAsync();
        await Expect(page.Locator("#keys-title")).ToHaveTextAsync($"Keys of {tenant}");

        await page.GetByLabel("New key name").FillAsync("from-the-browser");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create key" }).ClickAsync();
        await Expect(page.Locator("#key-secret")).ToBeVisibleAsync();
        var secret = await page.Locator("#key-secret-value").TextContentAsync();
        Assert.StartsWith("sk-", secret);
        await ScreenshotAsync(page, "key-created");

        // The key works, and is listed without its secret.
        Assert.Equal(HttpStatusCode.OK, (await fixture.Client.ChatAsync(fixture.Gateway.BaseUrl, secret, ConsoleFixture.Model)).Status);
        var keys = (await fixture.Client.SendAsync(HttpMethod.Get, $"{fixture.Gateway.BaseUrl}/admin/tenants/{tenant}/keys", ConsoleFixture.AdminKey)).Json["data"]!.AsArray();
        var keyId = Assert.Single(keys)!["id"]!.GetValue<string>();
        await Expect(page.Locator("#keys-table")).ToContainTextAsync(keyId);
        await Expect(page.Locator("#keys-table")).Not.ToContainTextAsync(secret!);

        await page.GetByRole(AriaRole.Button, new() { Name = $"Revoke key {keyId}" }).ClickAsync();
        await Expect(page.Locator("#keys-table")).Not.ToContainTextAsync(keyId);
        await Expect(page.Locator("#key-secret")).ToBeHiddenAsync();

        var refused = await EventuallyAsync(
            async () => await fixture.Client.ChatAsync(fixture.Gateway.BaseUrl, secret, ConsoleFixture.Model),
            r => r.Status == HttpStatusCode.Unauthorized,
            "the revoked key is refused");
        Assert.Equal("invalid_api_key", refused.ErrorCode);

        // Shown once: after a reload the secret is nowhere on the page.
        await page.ReloadAsync();
        await Expect(page.Locator("#keys-title")).ToHaveTextAsync($"Keys of {tenant}");
        Assert.DoesNotContain(secret!, await page.ContentAsync());
    }

    [Fact]
    public async Task AdminViews_TenantKey_Refused403AndTheTenantSeesOnlyItsOwn()
    {
        foreach (var path in new[] { "/admin/cluster", "/admin/tenants", $"/admin/usage?tenant={ConsoleFixture.TenantB}", $"/admin/usage/records?tenant={ConsoleFixture.TenantB}" })
        {
            var response = await fixture.Client.SendAsync(HttpMethod.Get, fixture.Gateway.BaseUrl + path, ConsoleFixture.KeyA);
            Assert.Equal(HttpStatusCode.Forbidden, response.Status);
            Assert.Equal("admin_key_required", response.ErrorCode);
        }

        var page = await fixture.NewPageAsync();
        await SignInAsync(page, ConsoleFixture.KeyA);
        await Expect(page.Locator("#tenant-bar")).ToBeHiddenAsync();
        foreach (var view in new[] { "Cluster", "Tenants and keys" })
        {
            await page.GetByRole(AriaRole.Link, new() { Name = view }).ClickAsync();
            await Expect(page.Locator("#message")).ToContainTextAsync("needs the admin key");
        }

        await ScreenshotAsync(page, "admin-view-refused");
        Assert.Equal(ConsoleFixture.TenantA, (await fixture.Client.SendAsync(HttpMethod.Get, fixture.Gateway.BaseUrl + "/v1/usage/records", ConsoleFixture.KeyA)).Json["tenant"]!.GetValue<string>());

        // The admin key sees every tenant.
        var admin = await fixture.NewPageAsync();
        await SignInAsync(admin, ConsoleFixture.AdminKey);
        await Expect(admin.Locator("#tenant option[value='" + ConsoleFixture.TenantA + "']")).ToHaveCountAsync(1);
        await Expect(admin.Locator("#tenant option[value='" + ConsoleFixture.TenantB + "']")).ToHaveCountAsync(1);
        await admin.GetByRole(AriaRole.Link, new() { Name = "Cluster" }).ClickAsync();
        await Expect(admin.Locator("#deployments-table")).ToContainTextAsync("closed");
        await Expect(admin.Locator("#silos-table")).ToContainTextAsync("Active");
        await ScreenshotAsync(admin, "cluster");
    }

    [Fact]
    public async Task ExportCsv_TenantKey_EqualsUsageRows()
    {
        await SendChatsAsync(ConsoleFixture.KeyB, 2);
        var page = await fixture.NewPageAsync();
        await SignInAsync(page, ConsoleFixture.KeyB);
        await Expect(page.Locator("#usage-chart canvas")).ToHaveCountAsync(1);
        await page.GetByLabel("Split by").SelectOptionAsync("key");

        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Export CSV" }).ClickAsync());
        var csv = await File.ReadAllLinesAsync((await download.PathAsync())!);
        var usage = (await fixture.Client.SendAsync(HttpMethod.Get, fixture.Gateway.BaseUrl + "/v1/usage?group_by=key", ConsoleFixture.KeyB)).Json;

        Assert.Equal("key,requests,prompt_tokens,completion_tokens,total_tokens,cost_usd", csv[0]);
        var rows = usage["data"]!.AsArray();
        Assert.NotEmpty(rows);
        Assert.Equal(rows.Count, csv.Length - 1);
        for (var i = 0; i < rows.Count; i++)
        {
            var fields = csv[i + 1].Split(',');
            var row = rows[i]!;
            Assert.Equal(row["key"]!.GetValue<string>(), fields[0]);
            Assert.Equal(row["requests"]!.GetValue<long>(), long.Parse(fields[1], CultureInfo.InvariantCulture));
            Assert.Equal(row["prompt_tokens"]!.GetValue<long>(), long.Parse(fields[2], CultureInfo.InvariantCulture));
            Assert.Equal(row["completion_tokens"]!.GetValue<long>(), long.Parse(fields[3], CultureInfo.InvariantCulture));
            Assert.Equal(row["total_tokens"]!.GetValue<long>(), long.Parse(fields[4], CultureInfo.InvariantCulture));
            Assert.Equal(row["cost_usd"]!.GetValue<decimal>(), decimal.Parse(fields[5], CultureInfo.InvariantCulture));
        }
    }

    [Theory]
    [InlineData(390)]
    [InlineData(1280)]
    public async Task Layout_EveryView_NoHorizontalOverflow(int width)
    {
        await SendChatsAsync(ConsoleFixture.KeyA, 1);
        var page = await fixture.NewPageAsync(width, 844);
        await SignInAsync(page, ConsoleFixture.AdminKey);
        await page.Locator("#tenant").SelectOptionAsync(ConsoleFixture.TenantA);
        foreach (var (view, ready) in new[]
        {
            ("usage", "#usage-chart canvas"),
            ("requests", "#requests-table tbody tr"),
            ("limits", "#limits-table tbody tr"),
            ("sessions", "#session-form"),
            ("tenants", "#keys-table tbody tr"),
            ("cluster", "#deployments-table tbody tr"),
        })
        {
            await page.Locator($"nav a[data-view='{view}']").ClickAsync();
            await Expect(page.Locator($"#view-{view}")).ToBeVisibleAsync();
            await Expect(page.Locator(ready).First).ToBeVisibleAsync();
            var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
            Assert.True(overflow <= 0, $"the {view} view is {overflow} px wider than a {width} px window");
            await ScreenshotAsync(page, $"{view}-{width}");
        }
    }

    [Fact]
    public async Task Keyboard_SignInAndChangeView_NoMouseAndEveryControlLabelled()
    {
        var page = await fixture.NewPageAsync();
        await page.GotoAsync(fixture.ConsoleUrl);
        await page.Keyboard.PressAsync("Tab");
        await Expect(page.GetByLabel("API key")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync(ConsoleFixture.KeyA);
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#app")).ToBeVisibleAsync();

        var requests = page.Locator("nav a[data-view='requests']");
        for (var i = 0; i < 10 && !await requests.EvaluateAsync<bool>("a => a === document.activeElement"); i++)
        {
            await page.Keyboard.PressAsync("Tab");
        }

        await Expect(requests).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#view-requests")).ToBeVisibleAsync();
        await Expect(requests).ToHaveAttributeAsync("aria-current", "page");

        var unlabelled = await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('input, select')].filter(e => e.labels.length === 0).map(e => e.id)");
        Assert.Empty(unlabelled);
    }

    [Fact]
    public async Task Console_Served_StrictContentSecurityPolicyAndNoInlineScript()
    {
        using var response = await fixture.Client.Http.GetAsync(fixture.ConsoleUrl);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", csp);
        Assert.Contains("script-src 'self'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.DoesNotMatch(InlineScript(), html);
        Assert.DoesNotContain("http", html.Replace("http-equiv", "", StringComparison.Ordinal));
        foreach (var asset in new[] { "console.js", "console.css", "uPlot.iife.min.js", "uPlot.min.css" })
        {
            using var file = await fixture.Client.Http.GetAsync(fixture.ConsoleUrl + asset);
            Assert.Equal(HttpStatusCode.OK, file.StatusCode);
            Assert.True(file.Content.Headers.ContentLength > 100, asset);
        }

        using var missing = await fixture.Client.Http.GetAsync(fixture.ConsoleUrl + "missing.js");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("\"not_found\"", await missing.Content.ReadAsStringAsync());
    }

    private async Task SendChatsAsync(string key, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var response = await fixture.Client.ChatAsync(fixture.Gateway.BaseUrl, key, ConsoleFixture.Model, content: $"console test message {i}");
            Assert.Equal(HttpStatusCode.OK, response.Status);
        }
    }

    private async Task SignInAsync(IPage page, string key)
    {
        await page.GotoAsync(fixture.ConsoleUrl);
        await page.GetByLabel("API key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.Locator("#app")).ToBeVisibleAsync();
    }

    private async Task ScreenshotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(fixture.ScreenshotDirectory, name + ".png"), FullPage = true });

    /// <summary>A count as the console shows it (en-US grouping, which the invariant culture shares).</summary>
    private static string Count(JsonNode value) => value.GetValue<long>().ToString("N0", CultureInfo.InvariantCulture);

    private static Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what) =>
        Eventually.ValueAsync(read, done, what, TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(100));

    [GeneratedRegex("<script(?![^>]*\\bsrc=)", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();
}
