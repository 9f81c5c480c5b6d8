using System.Text.Json;
using System.Text.Json.Nodes;

namespace Cluster.Bench.Gateway;

/// <summary>The gateway configuration the bench generates (format: DESIGN.md, Configuration).</summary>
internal static class GatewayConfigFile
{
    public const string PublicModel = "bench-model";
    public const string UpstreamModel = "fake-upstream-model";

    public static JsonObject Build(Uri upstreamBase, GatewayVariant variant)
    {
        var config = new JsonObject
        {
            ["Models"] = new JsonArray(
                new JsonObject
                {
                    ["Name"] = PublicModel,
                    ["Deployments"] = new JsonArray(
                        new JsonObject
                        {
                            ["Provider"] = "openai",
                            ["BaseUrl"] = new Uri(upstreamBase, "v1").ToString(),
                            ["UpstreamModel"] = UpstreamModel,
                        }),
                }),
            ["Usage"] = new JsonObject { ["Enabled"] = variant.Ledger },

            // Per-request Information logs to a console would dominate the figures; production runs at Warning too.
            ["Logging"] = new JsonObject
            {
                ["LogLevel"] = new JsonObject { ["Default"] = "Warning" },
            },
        };

        if (variant.LimitsAndLedger)
        {
            config["Auth"] = new JsonObject { ["Mode"] = "Keys" };
            config["Tenants"] = new JsonArray(
                new JsonObject
                {
                    ["Id"] = "bench",
                    ["Keys"] = new JsonArray(GatewayVariant.TenantKey),
                    ["Models"] = new JsonArray("*"),
                    ["Limits"] = new JsonObject
                    {
                        ["Rpm"] = variant.Rpm,
                        ["Tpm"] = variant.Tpm,
                        ["MaxConcurrency"] = variant.MaxConcurrency,
                    },
                });
        }

        return config;
    }

    public static string Write(string directory, string name, JsonObject config)
    {
        var path = Path.Combine(directory, $"gateway-{name}.json");
        File.WriteAllText(path, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return path;
    }
}
