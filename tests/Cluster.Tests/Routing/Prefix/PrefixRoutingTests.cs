using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Cluster.Tests.Support;
using OpenAI;
using OpenAI.Chat;
using Xunit.Abstractions;

namespace Cluster.Tests.Routing.Prefix;

/// <summary>
/// Prefix-aware routing (the default) through real gateways in front of fake replicas, called with
/// the official OpenAI client: the same prompt prefix lands on the same replica whichever
/// front-end receives it, sessions start where their prefix is, and the backends' cached tokens
/// reach the metrics.
/// </summary>
public sealed class PrefixRoutingTests(ITestOutputHelper output)
{
    private static readonly ApiKeyCredential AnyKey = new("anything");

    [Fact]
    public async Task PrefixAware_SameTenantPromptManyQuestions_OneReplicaPerTenantAndTenantsSpread()
    {
        // No Routing setting: prefix-aware is the default.
        await using var set = await ReplicaSet.StartAsync(4, routing: null);
        var chat = set.Chat();

        var homes = new Dictionary<int, HashSet<string>>();
        for (var tenant = 0; tenant < 8; tenant++)
        {
            homes[tenant] = [];
            for (var question = 0; question < 4; question++)
            {
                ChatCompletion completion = await chat.CompleteChatAsync([new SystemChatMessage(SystemPrompt(tenant)), new UserChatMessage($"question {question}")]);
                homes[tenant].Add(completion.SystemFingerprint);
            }
        }

        output.WriteLine(string.Join(", ", homes.Select(h => $"tenant {h.Key}: {string.Join("/", h.Value)}")));
        Assert.All(homes.Values, replicas => Assert.Single(replicas));
        Assert.True(homes.Values.Select(r => r.Single()).Distinct().Count() >= 2, "every tenant's prefix went to one replica");
    }

    [Fact]
    public async Task PrefixAware_NewSessions_FirstTurnPinnedWhereTheTenantsPrefixIs()
    {
        await using var set = await ReplicaSet.StartAsync(4, "prefix-aware");
        var home = await ReplicaOfAsync(set, SystemPrompt(41), "warm the cache", session: null);

        for (var s = 0; s < 5; s++)
        {
            var session = $"prefix-session-{s}-{Guid.NewGuid():N}";
            var first = await ReplicaOfAsync(set, SystemPrompt(41), $"first turn {s}", session);
            var second = await ReplicaOfAsync(set, SystemPrompt(41), $"first turn {s}", session, $"second turn {s}");

            Assert.Equal(home, first);
            Assert.Equal(home, second);
        }
    }

    [Fact]
    public async Task PrefixAware_BackendReportsCachedTokens_HitRateCountersPerDeployment()
    {
        const string Model = "prefix-metrics";
        var replicas = await Task.WhenAll(Enumerable.Range(0, 2).Select(i => FakeUpstream.StartAsync($"cached-{i}")));
        try
        {
            foreach (var replica in replicas)
            {
                replica.CachedTokens = 5;
            }

            var config = new
            {
                Models = new[] { new { Name = Model, Deployments = replicas.Select(r => new { Provider = "openai", BaseUrl = r.BaseUrl }).ToArray() } },
            };
            await using var gateway = await GatewayHost.StartAsync(config);
            var chat = Client(gateway.BaseUrl, Model);
            for (var i = 0; i < 3; i++)
            {
                await chat.CompleteChatAsync([new SystemChatMessage(SystemPrompt(7)), new UserChatMessage($"question {i}")]);
            }

            using var http = new HttpClient { BaseAddress = new Uri(gateway.BaseUrl) };
            var text = "";
            await Eventually.UntilAsync(
                async () =>
                {
                    text = await http.GetStringAsync("/metrics");
                    return Sum(text, "cluster_prefix_cache_cached_tokens_total", Model) == 15;
                },
                "the backends' cached tokens in the metrics",
                TimeSpan.FromSeconds(10),
                () => text);

            // 3 responses of 7 prompt tokens (FakeUpstream.PromptTokens), 5 of them cached each.
            Assert.Equal(3 * FakeUpstream.PromptTokens, Sum(text, "cluster_prefix_cache_prompt_tokens_total", Model));
            Assert.Contains("deployment=\"prefix-metrics-", text, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    /// <summary>A tenant's long system prompt (about 2,000 bytes): what its conversations share.</summary>
    internal static string SystemPrompt(int tenant)
    {
        var text = new StringBuilder($"You are the support assistant of tenant {tenant}. ");
        for (var rule = 0; text.Length < 2000; rule++)
        {
            text.Append(CultureInfo.InvariantCulture, $"Rule {rule} of tenant {tenant}: answer politely, cite the policy, never invent an order number. ");
        }

        return text.ToString();
    }

    internal static ChatClient Client(string baseUrl, string model) => new(model, AnyKey, new OpenAIClientOptions
    {
        Endpoint = new Uri(baseUrl + "/v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    });

    /// <summary>The replica that served a chat of the system prompt and user turns; checks the session's deployment header against it.</summary>
    private static async Task<string> ReplicaOfAsync(ReplicaSet set, string system, string user, string? session, string? secondUser = null)
    {
        var messages = new JsonArray(new JsonObject { ["role"] = "system", ["content"] = system }, new JsonObject { ["role"] = "user", ["content"] = user });
        if (secondUser is not null)
        {
            messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = "an answer" });
            messages.Add(new JsonObject { ["role"] = "user", ["content"] = secondUser });
        }

        using var response = await set.PostChatAsync(new JsonObject { ["messages"] = messages }, session is null ? [] : [new("x-session-id", session)]);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var replica = JsonNode.Parse(body)!["system_fingerprint"]!.GetValue<string>();
        if (session is not null)
        {
            Assert.Equal(ReplicaSet.DeploymentId(ReplicaSet.IndexOf(replica)), response.Headers.GetValues("x-session-deployment").Single());
        }

        return replica;
    }

    /// <summary>The sum of a Prometheus counter's samples for one model.</summary>
    private static double Sum(string metrics, string name, string model) =>
        metrics.Split('\n')
            .Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) && line.Contains($"gen_ai_request_model=\"{model}\"", StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.IndexOf('}', StringComparison.Ordinal) + 2)..].Split(' ')[0], CultureInfo.InvariantCulture));
}
