using System.ClientModel;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Cluster.Tests.Support;
using OpenAI.Chat;
using OpenAI.Models;

namespace Cluster.Tests.Auth;

/// <summary>
/// <c>Keys</c> mode through two front-ends of one cluster: unknown and missing keys are refused,
/// a revoked key stops working on every front-end within 5 s, a key reaches only its tenant's
/// models and only its tenant's usage, and the admin API answers only the admin key.
/// </summary>
public sealed class KeysModeTests(KeysModeFixture fixture) : IClassFixture<KeysModeFixture>
{
    private static readonly TimeSpan RevocationDeadline = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task ChatCompletions_WrongKey_401InvalidApiKeyOnEveryFrontEnd()
    {
        var before = fixture.Upstream.RequestCount;
        foreach (var frontEnd in fixture.FrontEnds)
        {
            var client = new ChatClient(KeysModeFixture.AllowedModel, KeysModeFixture.Credential("sk-not-a-key"), KeysModeFixture.ClientOptions(frontEnd));
            var error = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")]));
            Assert.Equal(401, error.Status);

            var raw = await fixture.Client.ChatAsync(frontEnd.BaseUrl, "sk-not-a-key", KeysModeFixture.AllowedModel);
            Assert.Equal(HttpStatusCode.Unauthorized, raw.Status);
            Assert.Equal("invalid_api_key", raw.ErrorCode);
            Assert.Equal("Incorrect API key provided.", raw.ErrorMessage);
        }

        Assert.Equal(before, fixture.Upstream.RequestCount);
    }

    [Fact]
    public async Task ChatCompletionsAndModels_MissingKey_401SayingNoKeyWasGiven()
    {
        foreach (var frontEnd in fixture.FrontEnds)
        {
            var chat = await fixture.Client.ChatAsync(frontEnd.BaseUrl, key: null, KeysModeFixture.AllowedModel);
            Assert.Equal(HttpStatusCode.Unauthorized, chat.Status);
            Assert.Equal("invalid_api_key", chat.ErrorCode);
            Assert.Contains("didn't provide an API key", chat.ErrorMessage);

            var models = await fixture.Client.SendAsync(HttpMethod.Get, frontEnd.BaseUrl + "/v1/models", key: null);
            Assert.Equal(HttpStatusCode.Unauthorized, models.Status);
            Assert.Equal("invalid_api_key", models.ErrorCode);

            var usage = await fixture.Client.SendAsync(HttpMethod.Get, frontEnd.BaseUrl + "/usage", key: null);
            Assert.Equal(HttpStatusCode.Unauthorized, usage.Status);
        }
    }

    [Fact]
    public async Task ChatCompletions_KeyRevokedThroughOneFrontEnd_401OnEveryFrontEndWithin5Seconds()
    {
        var (keyId, secret) = await fixture.Admin.IssueKeyAsync(KeysModeFixture.TenantB, new JsonObject { ["name"] = "to-revoke" });
        foreach (var frontEnd in fixture.FrontEnds)
        {
            await WaitForStatusAsync(frontEnd, secret, HttpStatusCode.OK, TimeSpan.FromSeconds(5));
            Assert.Equal(HttpStatusCode.OK, (await fixture.Client.ChatAsync(frontEnd.BaseUrl, secret, KeysModeFixture.OtherModel)).Status);
        }

        await fixture.Admin.RevokeKeyAsync(KeysModeFixture.TenantB, keyId);
        var revoked = Stopwatch.StartNew();

        // Each front-end is polled on its own, so a slow one cannot hide behind a fast one.
        var seenAfter = await Task.WhenAll(fixture.FrontEnds.Select(async frontEnd =>
        {
            await WaitForStatusAsync(frontEnd, secret, HttpStatusCode.Unauthorized, RevocationDeadline + TimeSpan.FromSeconds(5));
            return revoked.Elapsed;
        }));

        Assert.All(seenAfter, elapsed => Assert.True(elapsed < RevocationDeadline, $"a front-end still accepted the revoked key {elapsed.TotalSeconds:0.0} s after revocation"));
        foreach (var frontEnd in fixture.FrontEnds)
        {
            var chat = await fixture.Client.ChatAsync(frontEnd.BaseUrl, secret, KeysModeFixture.OtherModel);
            Assert.Equal(HttpStatusCode.Unauthorized, chat.Status);
            Assert.Equal("invalid_api_key", chat.ErrorCode);
        }

        var keys = (await fixture.Client.SendAsync(HttpMethod.Get, $"{fixture.FrontEnds[1].BaseUrl}/admin/tenants/{KeysModeFixture.TenantB}/keys", KeysModeFixture.AdminKey)).Json;
        Assert.DoesNotContain(keys["data"]!.AsArray(), k => k!["id"]!.GetValue<string>() == keyId);

        // The other keys of the tenant still work.
        Assert.Equal(HttpStatusCode.OK, (await fixture.Client.ChatAsync(fixture.FrontEnds[1].BaseUrl, KeysModeFixture.KeyB, KeysModeFixture.OtherModel)).Status);
    }

    [Fact]
    public async Task ChatCompletions_ModelNotAllowedForTheKey_403ModelNotAllowed()
    {
        var before = fixture.Upstream.RequestCount;
        var client = new ChatClient(KeysModeFixture.OtherModel, KeysModeFixture.Credential(KeysModeFixture.KeyA), KeysModeFixture.ClientOptions(fixture.FrontEnds[1]));

        var error = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")]));

        Assert.Equal(403, error.Status);
        var raw = await fixture.Client.ChatAsync(fixture.FrontEnds[0].BaseUrl, KeysModeFixture.KeyA, KeysModeFixture.OtherModel);
        Assert.Equal(HttpStatusCode.Forbidden, raw.Status);
        Assert.Equal("model_not_allowed", raw.ErrorCode);
        Assert.Equal("model", raw.Json["error"]!["param"]!.GetValue<string>());
        Assert.Equal(before, fixture.Upstream.RequestCount);

        // The allowed model, by name and by alias, is served for the same key.
        var allowed = new ChatClient(KeysModeFixture.AllowedAlias, KeysModeFixture.Credential(KeysModeFixture.KeyA), KeysModeFixture.ClientOptions(fixture.FrontEnds[1]));
        var completion = await allowed.CompleteChatAsync([new UserChatMessage("hi")]);
        Assert.Equal(KeysModeFixture.AllowedAlias, completion.Value.Model);
        Assert.Equal(HttpStatusCode.OK, (await fixture.Client.ChatAsync(fixture.FrontEnds[0].BaseUrl, KeysModeFixture.KeyA, KeysModeFixture.AllowedModel)).Status);
    }

    [Fact]
    public async Task Models_KeyAllowedSomeModels_ListsOnlyThoseOnEveryFrontEnd()
    {
        foreach (var frontEnd in fixture.FrontEnds)
        {
            var restricted = new OpenAIModelClient(KeysModeFixture.Credential(KeysModeFixture.KeyA), KeysModeFixture.ClientOptions(frontEnd));
            var listed = (await restricted.GetModelsAsync()).Value.Select(m => m.Id).Order().ToArray();
            Assert.Equal([KeysModeFixture.AllowedAlias, KeysModeFixture.AllowedModel], listed);
            var hidden = await Assert.ThrowsAsync<ClientResultException>(() => restricted.GetModelAsync(KeysModeFixture.OtherModel));
            Assert.Equal(404, hidden.Status);

            var everything = new OpenAIModelClient(KeysModeFixture.Credential(KeysModeFixture.KeyB), KeysModeFixture.ClientOptions(frontEnd));
            Assert.Equal(
                [KeysModeFixture.AllowedAlias, KeysModeFixture.AllowedModel, KeysModeFixture.OtherModel],
                (await everything.GetModelsAsync()).Value.Select(m => m.Id).Order().ToArray());
        }
    }

    [Fact]
    public async Task Models_AllowedModelsChangedThroughTheAdminApi_EveryFrontEndFollows()
    {
        var tenant = "keys-models-" + Guid.NewGuid().ToString("N")[..8];
        await fixture.Admin.PutTenantAsync(tenant, new JsonObject { ["models"] = new JsonArray(KeysModeFixture.OtherModel) });
        var (_, secret) = await fixture.Admin.IssueKeyAsync(tenant);
        foreach (var frontEnd in fixture.FrontEnds)
        {
            await WaitForStatusAsync(frontEnd, secret, HttpStatusCode.OK, TimeSpan.FromSeconds(5));
            Assert.Equal([KeysModeFixture.OtherModel], await ModelIdsAsync(frontEnd, secret));
            Assert.Equal(HttpStatusCode.Forbidden, (await fixture.Client.ChatAsync(frontEnd.BaseUrl, secret, KeysModeFixture.AllowedModel)).Status);
        }

        await fixture.Admin.PutModelsAsync(tenant, KeysModeFixture.AllowedModel);

        foreach (var frontEnd in fixture.FrontEnds)
        {
            var ids = await Eventually.ValueAsync(
                () => ModelIdsAsync(frontEnd, secret), i => i.Contains(KeysModeFixture.AllowedModel), "the front-end to see the tenant's new model", TimeSpan.FromSeconds(5));

            Assert.Equal([KeysModeFixture.AllowedAlias, KeysModeFixture.AllowedModel], ids);
            Assert.Equal(HttpStatusCode.OK, (await fixture.Client.ChatAsync(frontEnd.BaseUrl, secret, KeysModeFixture.AllowedModel)).Status);
            Assert.Equal(HttpStatusCode.Forbidden, (await fixture.Client.ChatAsync(frontEnd.BaseUrl, secret, KeysModeFixture.OtherModel)).Status);
        }
    }

    [Fact]
    public async Task Usage_TenantAsksForAnotherTenantsUsage_OnlyEverSeesItsOwn()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var (tenantA, tenantB) = ($"keys-usage-a-{run}", $"keys-usage-b-{run}");
        await fixture.Admin.PutTenantAsync(tenantA, []);
        await fixture.Admin.PutTenantAsync(tenantB, []);
        var (keyIdA, secretA) = await fixture.Admin.IssueKeyAsync(tenantA);
        var (keyIdB, secretB) = await fixture.Admin.IssueKeyAsync(tenantB);
        foreach (var frontEnd in fixture.FrontEnds)
        {
            await WaitForStatusAsync(frontEnd, secretA, HttpStatusCode.OK, TimeSpan.FromSeconds(5));
            await WaitForStatusAsync(frontEnd, secretB, HttpStatusCode.OK, TimeSpan.FromSeconds(5));
        }

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await fixture.Client.ChatAsync(fixture.FrontEnds[i % 2].BaseUrl, secretA, KeysModeFixture.AllowedModel)).Status);
        }

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await fixture.Client.ChatAsync(fixture.FrontEnds[i % 2].BaseUrl, secretB, KeysModeFixture.OtherModel)).Status);
        }

        foreach (var frontEnd in fixture.FrontEnds)
        {
            foreach (var query in new[] { "", "?tenant=" + tenantB, "?group_by=key", "?group_by=key&tenant=" + tenantB, "?group_by=model" })
            {
                var usage = await fixture.Client.SendAsync(HttpMethod.Get, frontEnd.BaseUrl + "/v1/usage" + query, secretA);
                Assert.Equal(HttpStatusCode.OK, usage.Status);
                var json = usage.Json;
                Assert.Equal(tenantA, json["tenant"]!.GetValue<string>());
                Assert.Equal(3, json["totals"]!["requests"]!.GetValue<long>());
                Assert.DoesNotContain(keyIdB, usage.Body);
                Assert.DoesNotContain(KeysModeFixture.OtherModel, usage.Body);
            }

            // Filtering by the other tenant's key finds nothing in the caller's own ledger.
            var filtered = (await fixture.Client.SendAsync(HttpMethod.Get, $"{frontEnd.BaseUrl}/usage?key={keyIdB}", secretA)).Json;
            Assert.Equal(0, filtered["totals"]!["requests"]!.GetValue<long>());
            Assert.Empty(filtered["data"]!.AsArray());

            var byKey = (await fixture.Client.SendAsync(HttpMethod.Get, $"{frontEnd.BaseUrl}/usage?group_by=key", secretA)).Json;
            var row = Assert.Single(byKey["data"]!.AsArray());
            Assert.Equal(keyIdA, row!["key"]!.GetValue<string>());
        }

        // The admin sees each tenant's own.
        Assert.Equal(5, (await fixture.Admin.UsageAsync(tenantB))["totals"]!["requests"]!.GetValue<long>());
        Assert.Equal(3, (await fixture.Admin.UsageAsync(tenantA))["totals"]!["requests"]!.GetValue<long>());
    }

    [Fact]
    public async Task AdminEndpoints_WithoutTheAdminKey_401Or403AndNothingChanges()
    {
        var tenant = "keys-admin-" + Guid.NewGuid().ToString("N")[..8];
        foreach (var frontEnd in fixture.FrontEnds)
        {
            // No key or an unknown one: 401. A valid tenant key: 403, it is known but not enough.
            foreach (var (key, status, code) in new[]
            {
                ((string?)null, HttpStatusCode.Unauthorized, "invalid_api_key"),
                (KeysModeFixture.KeyB, HttpStatusCode.Forbidden, "admin_key_required"),
                ("admin-wrong", HttpStatusCode.Unauthorized, "invalid_api_key"),
            })
            {
                var list = await fixture.Client.SendAsync(HttpMethod.Get, frontEnd.BaseUrl + "/admin/tenants", key);
                Assert.Equal(status, list.Status);
                Assert.Equal(code, list.ErrorCode);

                var create = await fixture.Client.SendAsync(HttpMethod.Put, $"{frontEnd.BaseUrl}/admin/tenants/{tenant}", key, new JsonObject());
                Assert.Equal(status, create.Status);

                var issue = await fixture.Client.SendAsync(HttpMethod.Post, $"{frontEnd.BaseUrl}/v1/admin/tenants/{KeysModeFixture.TenantB}/keys", key, new JsonObject());
                Assert.Equal(status, issue.Status);
                Assert.DoesNotContain("sk-cc-", issue.Body);

                var usage = await fixture.Client.SendAsync(HttpMethod.Get, $"{frontEnd.BaseUrl}/admin/usage?tenant={KeysModeFixture.TenantA}", key);
                Assert.Equal(status, usage.Status);
            }
        }

        // An admin call that fails in its handler answers with the whole error too.
        var missing = await fixture.Client.SendAsync(HttpMethod.Delete, $"{fixture.FrontEnds[0].BaseUrl}/admin/tenants/{KeysModeFixture.TenantB}/keys/key_missing", KeysModeFixture.AdminKey);
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal("not_found", missing.ErrorCode);

        var tenants = await fixture.Client.SendAsync(HttpMethod.Get, fixture.FrontEnds[1].BaseUrl + "/admin/tenants", KeysModeFixture.AdminKey);
        Assert.Equal(HttpStatusCode.OK, tenants.Status);
        var ids = tenants.Json["data"]!.AsArray().Select(t => t!["id"]!.GetValue<string>()).ToList();
        Assert.Contains(KeysModeFixture.TenantA, ids);
        Assert.DoesNotContain(tenant, ids);
    }

    /// <summary>Polls <c>GET /v1/models</c> with <paramref name="key"/> until it answers <paramref name="expected"/>.</summary>
    private async Task WaitForStatusAsync(GatewayHost frontEnd, string key, HttpStatusCode expected, TimeSpan timeout)
    {
        await Eventually.ValueAsync(
            async () => (await fixture.Client.SendAsync(HttpMethod.Get, frontEnd.BaseUrl + "/v1/models", key)).Status,
            status => status == expected,
            $"GET /v1/models to answer {(int)expected}",
            timeout);
    }

    private async Task<string[]> ModelIdsAsync(GatewayHost frontEnd, string key)
    {
        var client = new OpenAIModelClient(KeysModeFixture.Credential(key), KeysModeFixture.ClientOptions(frontEnd));
        return [.. (await client.GetModelsAsync()).Value.Select(m => m.Id).Order()];
    }
}
