using Cluster.Tests.Support;
using OpenAI.Chat;
using Xunit.Abstractions;

namespace Cluster.Tests.Routing.Prefix;

/// <summary>
/// Prefix-aware routing on the real deployment shape: two silos on Azurite and two front-ends that
/// are pure Orleans clients of them. A prefix's home is decided once by the model's prefix-homes
/// grain and cached by each front-end, so both front-ends agree, and a silo's death changes nothing.
/// </summary>
[Collection(SiloFailureCollection.Name)]
public sealed class PrefixRoutingClusterTests(ITestOutputHelper output)
{
    private const string Model = "prefixed";

    [Fact]
    public async Task PrefixAware_TwoFrontEnds_SamePrefixSameReplica_AlsoAfterASiloIsKilled()
    {
        var replicas = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => FakeUpstream.StartAsync($"prefix-replica-{i}")));
        try
        {
            var config = new
            {
                Models = new[] { new { Name = Model, Deployments = replicas.Select(r => new { Provider = "openai", BaseUrl = r.BaseUrl }).ToArray() } },

                // This test is about routing: without the ledger no request waits on a grain that moves.
                Usage = new { Enabled = false },
            };
            await using var cluster = await AzuriteCluster.Configure(config).WithSilos(2).WithServiceId("prefix-" + Guid.NewGuid().ToString("N")[..12]).StartAsync();
            await using var api0 = await GatewayHost.StartAsync(config, cluster.ClientArgs);
            await using var api1 = await GatewayHost.StartAsync(config, cluster.ClientArgs);
            ChatClient[] frontEnds = [PrefixRoutingTests.Client(api0.BaseUrl, Model), PrefixRoutingTests.Client(api1.BaseUrl, Model)];

            // Each tenant's conversations, sent through both front-ends in turn.
            var homes = new Dictionary<int, string>();
            for (var tenant = 0; tenant < 8; tenant++)
            {
                var served = new List<string>();
                for (var question = 0; question < 4; question++)
                {
                    served.Add(await ReplicaAsync(frontEnds[question % 2], tenant, $"question {question}"));
                }

                output.WriteLine($"tenant {tenant}: {string.Join(", ", served)}");
                Assert.Single(served.Distinct());
                homes[tenant] = served[0];
            }

            // Homes by bounded-load consistent hashing (the model's prefix-homes grain): the first four
            // tenants take four different replicas whatever their rendezvous order prefers, so all four
            // are used; rendezvous hashing alone leaves one idle in about a third of such draws.
            Assert.Equal(4, homes.Values.Distinct().Count());

            await cluster.StopSiloAsync(0, graceful: false);

            for (var tenant = 0; tenant < 8; tenant++)
            {
                Assert.Equal(homes[tenant], await ReplicaAsync(frontEnds[1], tenant, "after the kill, front-end 1"));
                Assert.Equal(homes[tenant], await ReplicaAsync(frontEnds[0], tenant, "after the kill, front-end 0"));
            }
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    private static async Task<string> ReplicaAsync(ChatClient chat, int tenant, string question)
    {
        ChatCompletion completion = await chat.CompleteChatAsync([new SystemChatMessage(PrefixRoutingTests.SystemPrompt(tenant)), new UserChatMessage(question)]);
        return completion.SystemFingerprint;
    }
}
