using System.ClientModel;
using System.ClientModel.Primitives;
using Cluster.Tests.Support;
using OpenAI;

namespace Cluster.Tests.Auth;

/// <summary>
/// A cluster in <c>Keys</c> mode: two silos, two front-ends as their clients, one fake upstream
/// behind two models. Tenant A may use one model (by name or alias), tenant B every model; more
/// tenants and keys are made through the admin API by the tests that need fresh ones.
/// </summary>
public sealed class KeysModeFixture : IAsyncLifetime
{
    public const string AdminKey = "admin-keys-secret";
    public const string AllowedModel = "keys-allowed";
    public const string AllowedAlias = "keys-alias";
    public const string OtherModel = "keys-other";

    private static readonly string Run = Guid.NewGuid().ToString("N")[..8];

    public static string TenantA { get; } = $"keys-a-{Run}";

    public static string KeyA { get; } = $"sk-keys-a-{Run}";

    public static string TenantB { get; } = $"keys-b-{Run}";

    public static string KeyB { get; } = $"sk-keys-b-{Run}";

    public FakeUpstream Upstream { get; private set; } = null!;

    public AzuriteCluster Cluster { get; private set; } = null!;

    public GatewayHost[] FrontEnds { get; private set; } = [];

    public GatewayClient Client { get; } = new();

    public AdminApi Admin => new(Client, FrontEnds[0].BaseUrl, AdminKey);

    public async Task InitializeAsync()
    {
        Upstream = await FakeUpstream.StartAsync("keys-upstream");
        var config = new
        {
            Auth = new { Mode = "Keys", AdminKey },
            Models = new object[]
            {
                new { Name = AllowedModel, Aliases = new[] { AllowedAlias }, Deployments = new object[] { new { Provider = "openai", Upstream.BaseUrl } } },
                new { Name = OtherModel, Deployments = new object[] { new { Provider = "openai", Upstream.BaseUrl } } },
            },
            Tenants = new object[]
            {
                new { Id = TenantA, Keys = new[] { KeyA }, Models = new[] { AllowedModel } },
                new { Id = TenantB, Keys = new[] { KeyB }, Models = new[] { "*" } },
            },
        };
        Cluster = await AzuriteCluster.Configure(config).StartAsync();
        FrontEnds = [await Cluster.StartFrontEndAsync(), await Cluster.StartFrontEndAsync()];
    }

    /// <summary>Options for an OpenAI SDK client of a front-end, with retries off so statuses show.</summary>
    public static OpenAIClientOptions ClientOptions(GatewayHost frontEnd) => new()
    {
        Endpoint = new Uri(frontEnd.BaseUrl + "/v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    };

    public static ApiKeyCredential Credential(string key) => new(key);

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Upstream.DisposeAsync();
        Client.Dispose();
    }
}
