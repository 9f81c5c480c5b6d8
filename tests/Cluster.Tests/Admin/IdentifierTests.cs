using System.Net;
using System.Text.Json.Nodes;
using Cluster.Hosting.Configuration;
using Cluster.Tests.Support;
using Microsoft.Extensions.Configuration;

namespace Cluster.Tests.Admin;

/// <summary>
/// Tenant ids, model names and key names become storage keys and URL segments: the admin API and
/// the configuration refuse any outside a safe set of characters and lengths, with a 400 (or a
/// startup error) that names the rule.
/// </summary>
public sealed class IdentifierTests : IAsyncLifetime, IDisposable
{
    private const string AdminKey = "admin-identifiers";
    private readonly GatewayClient _client = new();
    private GatewayHost _gateway = null!;

    public static TheoryData<string> BadTenantIds => new()
    {
        "..%2f",
        "a%2fb",
        new string('t', 3000),
        new string('t', 65),
        "-leading-dash",
        "space%20inside",
        "caf%C3%A9",
    };

    public async Task InitializeAsync() => _gateway = await GatewayHost.StartAsync(new
    {
        Auth = new { AdminKey },
        Models = new object[] { new { Name = "echo", Deployments = new[] { new { Provider = "echo" } } } },
    });

    [Theory]
    [InlineData("""{"deployments":[{"provider":"bogus"}]}""", "deployments[0].provider", "'bogus' is not one of openai")]
    [InlineData("""{"routing":"fastest","deployments":[{"provider":"echo"}]}""", "routing", "'fastest' is not one of")]
    public async Task PutModel_UnknownProviderOrRouting_Returns400NamingTheField(string body, string field, string reason)
    {
        var response = await _client.SendAsync(HttpMethod.Put, $"{_gateway.BaseUrl}/admin/models/new-model", AdminKey, JsonNode.Parse(body)!.AsObject());

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal(field, response.Json["error"]!["param"]!.GetValue<string>());
        Assert.Contains($"'{field}'", response.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains(reason, response.ErrorMessage, StringComparison.Ordinal);
        var models = await _client.SendAsync(HttpMethod.Get, $"{_gateway.BaseUrl}/admin/models", AdminKey);
        Assert.DoesNotContain("new-model", models.Body, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BadTenantIds))]
    public async Task PutTenant_UnsafeId_Returns400NamingTheRule(string id)
    {
        var response = await _client.SendAsync(HttpMethod.Put, $"{_gateway.BaseUrl}/admin/tenants/{id}", AdminKey, new JsonObject());

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("id", response.Json["error"]!["param"]!.GetValue<string>());
        Assert.Contains("1 to 64 characters", response.ErrorMessage, StringComparison.Ordinal);
        Assert.True(response.Body.Length < 1000, "The error quotes the whole id.");
        var list = await _client.SendAsync(HttpMethod.Get, $"{_gateway.BaseUrl}/admin/tenants", AdminKey);
        Assert.Empty(list.Json["data"]!.AsArray());
    }

    [Theory]
    [InlineData("acme")]
    [InlineData("acme-01.eu_west")]
    public async Task PutTenant_SafeId_IsCreated(string id)
    {
        var response = await _client.SendAsync(HttpMethod.Put, $"{_gateway.BaseUrl}/admin/tenants/{id}", AdminKey, new JsonObject());

        Assert.Equal(HttpStatusCode.OK, response.Status);
    }

    [Theory]
    [InlineData("a..b")]
    [InlineData("org//model")]
    [InlineData("model%20name")]
    [InlineData("x%3Cscript%3E")]
    public async Task PutModel_UnsafeName_Returns400NamingTheRule(string name)
    {
        var body = new JsonObject { ["deployments"] = new JsonArray(new JsonObject { ["provider"] = "echo" }) };

        var response = await _client.SendAsync(HttpMethod.Put, $"{_gateway.BaseUrl}/admin/models/{name}", AdminKey, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("name", response.Json["error"]!["param"]!.GetValue<string>());
        Assert.Contains("1 to 128 characters", response.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutModel_LongModelName_Returns400()
    {
        var body = new JsonObject { ["deployments"] = new JsonArray(new JsonObject { ["provider"] = "echo" }) };

        var response = await _client.SendAsync(HttpMethod.Put, $"{_gateway.BaseUrl}/admin/models/{new string('m', 3000)}", AdminKey, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
    }

    [Fact]
    public async Task PutModel_HuggingFaceStyleName_IsCreated()
    {
        var body = new JsonObject { ["deployments"] = new JsonArray(new JsonObject { ["provider"] = "echo" }) };

        var response = await _client.SendAsync(HttpMethod.Put, $"{_gateway.BaseUrl}/admin/models/meta-llama/Llama-3.1-8B:q4", AdminKey, body);

        Assert.Equal(HttpStatusCode.OK, response.Status);
    }

    [Fact]
    public async Task IssueKey_NameWithControlCharacters_Returns400()
    {
        await _client.SendAsync(HttpMethod.Put, $"{_gateway.BaseUrl}/admin/tenants/keyed", AdminKey, new JsonObject());

        var response = await _client.SendAsync(HttpMethod.Post, $"{_gateway.BaseUrl}/admin/tenants/keyed/keys", AdminKey, new JsonObject { ["name"] = "line\nbreak" });

        Assert.Equal(HttpStatusCode.BadRequest, response.Status);
        Assert.Equal("name", response.Json["error"]!["param"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("Tenants:0:Id", "../etc", "Tenants:0:Id")]
    [InlineData("Models:0:Name", "bad name", "Models:0:Name")]
    [InlineData("Models:0:Aliases:0", "a//b", "Models:0:Aliases:0")]
    public void ValidateAll_UnsafeNameInConfiguration_NamesTheKeyAndTheRule(string key, string value, string reported)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Models:0:Name"] = "echo",
            ["Models:0:Deployments:0:Provider"] = "echo",
            ["Tenants:0:Id"] = "fine",
            ["Tenants:0:Keys:0"] = "sk-fine",
        };
        settings[key] = value;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

        var errors = ClusterConfigurationValidator.ValidateAll(configuration);

        Assert.Contains(errors, e => e.StartsWith(reported, StringComparison.Ordinal) && e.Contains("is not allowed", StringComparison.Ordinal));
    }

    public async Task DisposeAsync() => await _gateway.DisposeAsync();

    public void Dispose() => _client.Dispose();
}
