using System.Net;
using System.Text.Json.Nodes;

namespace Cluster.Tests.Support;

/// <summary>The gateway's admin API, called with the admin key: tenants, keys, limiter state, usage.</summary>
public sealed class AdminApi(GatewayClient client, string baseUrl, string adminKey)
{
    public async Task PutTenantAsync(string tenant, JsonObject body)
    {
        var response = await client.SendAsync(HttpMethod.Put, $"{baseUrl}/admin/tenants/{tenant}", adminKey, body);
        Ensure(response, HttpStatusCode.OK);
    }

    /// <summary>Issues a key; returns its id and its secret (shown this once).</summary>
    public async Task<(string Id, string Secret)> IssueKeyAsync(string tenant, JsonObject? body = null)
    {
        var response = await client.SendAsync(HttpMethod.Post, $"{baseUrl}/admin/tenants/{tenant}/keys", adminKey, body ?? []);
        Ensure(response, HttpStatusCode.Created);
        var json = response.Json;
        return (json["id"]!.GetValue<string>(), json["key"]!.GetValue<string>());
    }

    public async Task RevokeKeyAsync(string tenant, string keyId)
    {
        var response = await client.SendAsync(HttpMethod.Delete, $"{baseUrl}/admin/tenants/{tenant}/keys/{keyId}", adminKey);
        Ensure(response, HttpStatusCode.OK);
    }

    public async Task PutModelsAsync(string tenant, params string[] models)
    {
        var response = await client.SendAsync(HttpMethod.Put, $"{baseUrl}/admin/tenants/{tenant}/models", adminKey, new JsonObject { ["models"] = new JsonArray([.. models.Select(m => JsonValue.Create(m))]) });
        Ensure(response, HttpStatusCode.OK);
    }

    /// <summary>The tenant limiter's leases in flight.</summary>
    public async Task<int> LeasesAsync(string tenant)
    {
        var response = await client.SendAsync(HttpMethod.Get, $"{baseUrl}/admin/tenants/{tenant}/limits", adminKey);
        Ensure(response, HttpStatusCode.OK);
        return response.Json["leases"]!.GetValue<int>();
    }

    /// <summary><c>GET /admin/usage?tenant=…</c> with extra query parameters (<c>group_by=key</c>, …).</summary>
    public async Task<JsonNode> UsageAsync(string tenant, string query = "")
    {
        var response = await client.SendAsync(HttpMethod.Get, $"{baseUrl}/admin/usage?tenant={Uri.EscapeDataString(tenant)}{(query.Length > 0 ? "&" + query : "")}", adminKey);
        Ensure(response, HttpStatusCode.OK);
        return response.Json;
    }

    /// <summary>Any admin <c>GET</c> (a path with its query) that must answer 200.</summary>
    public async Task<JsonNode> GetAsync(string pathAndQuery)
    {
        var response = await client.SendAsync(HttpMethod.Get, baseUrl + pathAndQuery, adminKey);
        Ensure(response, HttpStatusCode.OK);
        return response.Json;
    }

    private static void Ensure(GatewayResponse response, HttpStatusCode expected)
    {
        if (response.Status != expected)
        {
            throw new InvalidOperationException($"The admin API answered {(int)response.Status}: {response.Body}");
        }
    }
}
