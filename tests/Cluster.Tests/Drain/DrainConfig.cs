using System.Text.Json.Nodes;

namespace Cluster.Tests.Drain;

/// <summary>
/// The configuration the drain tests' processes share: one model served by a fake upstream and one
/// tenant with one key, both named after a run of their own.
/// </summary>
public sealed class DrainConfig(string upstreamBaseUrl)
{
    public const string AdminKey = "admin-drain-secret";
    public const string Model = "drain-model";

    private readonly string _run = Guid.NewGuid().ToString("N")[..10];

    public string ServiceId => "drain-" + _run;

    public string Tenant => "drain-" + _run;

    public string Key => "sk-drain-" + _run;

    public JsonObject Json => new()
    {
        ["Auth"] = new JsonObject { ["Mode"] = "Keys", ["AdminKey"] = AdminKey },
        ["Models"] = new JsonArray(new JsonObject
        {
            ["Name"] = Model,
            ["Deployments"] = new JsonArray(new JsonObject { ["Provider"] = "openai", ["BaseUrl"] = upstreamBaseUrl }),
        }),
        ["Tenants"] = new JsonArray(new JsonObject { ["Id"] = Tenant, ["Keys"] = new JsonArray(Key) }),
    };
}
