using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Cluster.Tests.Support;
using OpenAI.Chat;
using Xunit.Abstractions;

namespace Cluster.Tests.Sessions;

/// <summary>
/// Sessions through the real gateway in front of three fake replicas: a conversation stays on the
/// replica that holds its prefix cache, moves (and says so in <c>x-session-deployment</c>) only when
/// that replica is gone, and is visible under <c>/admin/sessions/{id}</c>.
/// </summary>
public sealed class SessionTests(ITestOutputHelper output)
{
    private const string SessionHeader = "x-session-id";
    private const string DeploymentHeader = "x-session-deployment";

    [Fact]
    public async Task Sessions_200x5Concurrent_EveryTurnOnTheSessionsReplica()
    {
        await using var set = await ReplicaSet.StartAsync(3);
        foreach (var replica in set.Replicas)
        {
            replica.Delay = TimeSpan.FromMilliseconds(10);
        }

        var started = Stopwatch.StartNew();
        var sessions = await Task.WhenAll(Enumerable.Range(0, 200).Select(async s =>
        {
            var id = $"stick-{s}-{Guid.NewGuid():N}";
            var turns = new List<Turn>(5);
            for (var t = 0; t < 5; t++)
            {
                turns.Add(await TurnAsync(set, SessionHeaders(id)));
            }

            return turns;
        }));
        var elapsed = started.Elapsed;

        var turnsOnFirstReplica = sessions.Sum(turns => turns.Count(t => t.Replica == turns[0].Replica));
        var perReplica = sessions.GroupBy(turns => turns[0].Replica).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine($"200 sessions x 5 turns in {elapsed.TotalSeconds:0.0} s; turns on the session's replica: {turnsOnFirstReplica}/1000 ({turnsOnFirstReplica / 10.0:0.0}%); sessions per replica: "
            + string.Join(", ", perReplica.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}")));
        foreach (var turns in sessions)
        {
            Assert.All(turns, t => Assert.Equal(HttpStatusCode.OK, t.Status));
            Assert.All(turns, t => Assert.Equal(turns[0].Replica, t.Replica));
            Assert.All(turns, t => Assert.Equal(ReplicaSet.DeploymentId(ReplicaSet.IndexOf(t.Replica)), t.Deployment));
        }

        // Pinning is not piling up: least-inflight placed the sessions on every replica.
        Assert.Equal(3, perReplica.Count);
        Assert.All(perReplica.Values, count => Assert.True(count >= 50, $"a replica holds only {count} of 200 sessions"));
    }

    [Fact]
    public async Task NewSessions_BurstOf200_SpreadOverReplicas()
    {
        // Instant replies: the in-flight counts stay near zero, so a pin decided on a stale count shows.
        await using var set = await ReplicaSet.StartAsync(3);

        var first = await Task.WhenAll(Enumerable.Range(0, 200).Select(s => TurnAsync(set, SessionHeaders($"burst-{s}-{Guid.NewGuid():N}"))));

        Assert.All(first, t => Assert.Equal(HttpStatusCode.OK, t.Status));
        var perReplica = first.GroupBy(t => t.Replica).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine("200 new sessions at once: " + string.Join(", ", perReplica.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}")));
        Assert.Equal(3, perReplica.Count);
        Assert.All(perReplica.Values, count => Assert.True(count >= 50, $"a replica got only {count} of 200 new sessions"));
    }

    [Fact]
    public async Task NewSession_TenConcurrentFirstRequests_AllOnOneDeployment()
    {
        await using var set = await ReplicaSet.StartAsync(3);
        foreach (var replica in set.Replicas)
        {
            // Long enough that all ten are in flight at once: least-inflight alone would spread them.
            replica.Delay = TimeSpan.FromMilliseconds(300);
        }

        for (var s = 0; s < 5; s++)
        {
            var id = $"burst-{s}-{Guid.NewGuid():N}";
            var turns = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => TurnAsync(set, SessionHeaders(id))));

            Assert.All(turns, t => Assert.Equal(HttpStatusCode.OK, t.Status));
            Assert.Single(turns.Select(t => t.Replica).Distinct());
            Assert.Single(turns.Select(t => t.Deployment).Distinct());
        }

        // Control: the same burst without a session spreads over the replicas.
        var unpinned = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => TurnAsync(set, [])));
        Assert.True(unpinned.Select(t => t.Replica).Distinct().Count() > 1, "without a session the burst should spread");
    }

    [Fact]
    public async Task ReplicaDies_ItsSessionsRepinAndContinueWithoutErrors()
    {
        await using var set = await ReplicaSet.StartAsync(3);
        var ids = Enumerable.Range(0, 60).Select(s => $"survive-{s}-{Guid.NewGuid():N}").ToArray();
        var first = await Task.WhenAll(ids.Select(id => TurnAsync(set, SessionHeaders(id))));
        Assert.All(first, t => Assert.Equal(HttpStatusCode.OK, t.Status));

        // The replica with the most sessions dies between turns.
        var victim = first.GroupBy(t => t.Replica).OrderByDescending(g => g.Count()).First().Key;
        var victimIndex = ReplicaSet.IndexOf(victim);
        await set.KillAsync(victimIndex);

        var later = await Task.WhenAll(ids.Select(async id =>
        {
            var turns = new List<Turn>(4);
            for (var t = 0; t < 4; t++)
            {
                turns.Add(await TurnAsync(set, SessionHeaders(id)));
            }

            return turns;
        }));

        var moved = 0;
        for (var s = 0; s < ids.Length; s++)
        {
            var turns = later[s];
            Assert.All(turns, t => Assert.Equal(HttpStatusCode.OK, t.Status));
            Assert.All(turns, t => Assert.NotEqual(victim, t.Replica));

            // After the move, the session sticks to its new replica, and the header names it.
            Assert.All(turns, t => Assert.Equal(turns[0].Replica, t.Replica));
            Assert.All(turns, t => Assert.Equal(ReplicaSet.DeploymentId(ReplicaSet.IndexOf(t.Replica)), t.Deployment));
            if (first[s].Replica == victim)
            {
                moved++;
                Assert.NotEqual(first[s].Deployment, turns[0].Deployment);
            }
            else
            {
                Assert.Equal(first[s].Replica, turns[0].Replica);
            }
        }

        output.WriteLine($"{victim} died holding {moved} of 60 sessions; all of them moved, 240 later turns without an error");
        Assert.True(moved > 0);
        var movedId = ids[Array.FindIndex(first, t => t.Replica == victim)];
        var info = await set.AdminGetAsync($"/admin/sessions/{movedId}?tenant=default");
        Assert.Equal(1, info["repins"]!.GetValue<int>());
        Assert.NotEqual(ReplicaSet.DeploymentId(victimIndex), info["pins"]![ReplicaSet.Model]!.GetValue<string>());
    }

    [Fact]
    public async Task PromptCacheKeyAndUser_NoHeader_EachIdentifiesASession()
    {
        await using var set = await ReplicaSet.StartAsync(3);
        foreach (var replica in set.Replicas)
        {
            replica.Delay = TimeSpan.FromMilliseconds(20);
        }

        var keys = Enumerable.Range(0, 20).Select(s => $"pck-{s}-{Guid.NewGuid():N}").ToArray();
        var byKey = await Task.WhenAll(keys.Select(async key =>
        {
            var turns = new List<Turn>(3);
            for (var t = 0; t < 3; t++)
            {
                turns.Add(await TurnAsync(set, [], new JsonObject { ["prompt_cache_key"] = key }));
            }

            return turns;
        }));

        // The OpenAI SDK's own way to name the end user: the body's "user".
        var users = Enumerable.Range(0, 20).Select(s => $"user-{s}-{Guid.NewGuid():N}").ToArray();
        var chat = set.Chat();
        var byUser = await Task.WhenAll(users.Select(async user =>
        {
            var turns = new List<Turn>(3);
            for (var t = 0; t < 3; t++)
            {
                var result = await chat.CompleteChatAsync([new UserChatMessage($"turn {t}")], new ChatCompletionOptions { EndUserId = user });
                var header = result.GetRawResponse().Headers.TryGetValue(DeploymentHeader, out var value) ? value : null;
                turns.Add(new Turn(HttpStatusCode.OK, result.Value.SystemFingerprint, header, TimeSpan.Zero));
            }

            return turns;
        }));

        foreach (var turns in byKey.Concat(byUser))
        {
            Assert.All(turns, t => Assert.Equal(HttpStatusCode.OK, t.Status));
            Assert.All(turns, t => Assert.Equal(turns[0].Replica, t.Replica));
            Assert.All(turns, t => Assert.Equal(ReplicaSet.DeploymentId(ReplicaSet.IndexOf(t.Replica)), t.Deployment));
        }

        var keyInfo = await set.AdminGetAsync($"/admin/sessions/{keys[0]}");
        Assert.Equal(byKey[0][0].Deployment, keyInfo["pins"]![ReplicaSet.Model]!.GetValue<string>());
        var userInfo = await set.AdminGetAsync($"/admin/sessions/{users[0]}");
        Assert.Equal(byUser[0][0].Deployment, userInfo["pins"]![ReplicaSet.Model]!.GetValue<string>());
    }

    [Fact]
    public async Task SessionKey_HeaderAndBodyKeys_HeaderWinsThenPromptCacheKeyThenUser()
    {
        await using var set = await ReplicaSet.StartAsync(3);
        var (header, key, user) = ($"h-{Guid.NewGuid():N}", $"k-{Guid.NewGuid():N}", $"u-{Guid.NewGuid():N}");

        var all = await TurnAsync(set, SessionHeaders(header), new JsonObject { ["prompt_cache_key"] = key, ["user"] = user });
        Assert.Equal(1, (await SessionAsync(set, header, 1))["requests"]!.GetValue<int>());
        Assert.Equal(all.Deployment, (await SessionAsync(set, header, 1))["pins"]![ReplicaSet.Model]!.GetValue<string>());

        var bodyOnly = await TurnAsync(set, [], new JsonObject { ["prompt_cache_key"] = key, ["user"] = user });
        Assert.Equal(1, (await SessionAsync(set, key, 1))["requests"]!.GetValue<int>());
        Assert.Equal(bodyOnly.Deployment, (await SessionAsync(set, key, 1))["pins"]![ReplicaSet.Model]!.GetValue<string>());

        // The user was never the key while a stronger one was given.
        var userSession = await set.AdminGetAsync($"/admin/sessions/{user}");
        Assert.Equal(0, userSession["requests"]!.GetValue<int>());
        Assert.Empty(userSession["pins"]!.AsObject());
    }

    [Fact]
    public async Task AdminSessions_AfterThreeTurns_ShowsPinAndUsage()
    {
        await using var set = await ReplicaSet.StartAsync(3);
        var id = $"admin-{Guid.NewGuid():N}";
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Turn last = default!;
        for (var t = 0; t < 3; t++)
        {
            last = await TurnAsync(set, SessionHeaders(id), t == 2 ? new JsonObject { ["stream"] = true, ["stream_options"] = new JsonObject { ["include_usage"] = true } } : null);
            Assert.Equal(HttpStatusCode.OK, last.Status);
        }

        var info = await SessionAsync(set, id, 3);

        Assert.Equal(id, info["id"]!.GetValue<string>());
        Assert.Equal("session", info["object"]!.GetValue<string>());
        Assert.Equal("default", info["tenant"]!.GetValue<string>());
        Assert.Equal(last.Deployment, info["pins"]![ReplicaSet.Model]!.GetValue<string>());
        Assert.Equal(0, info["repins"]!.GetValue<int>());
        Assert.Equal(3, info["requests"]!.GetValue<int>());
        Assert.Equal(3 * FakeUpstream.PromptTokens, info["prompt_tokens"]!.GetValue<int>());
        Assert.Equal(3 * 3 * FakeUpstream.CompletionTokensPerChunk, info["completion_tokens"]!.GetValue<int>());
        Assert.InRange(info["last_seen"]!.GetValue<long>(), before - 1, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
    }

    [Fact]
    public async Task NoSessionKey_Response_HasNoSessionDeploymentHeader()
    {
        await using var set = await ReplicaSet.StartAsync(2);

        var plain = await TurnAsync(set, []);
        var streamed = await TurnAsync(set, [], new JsonObject { ["stream"] = true });

        Assert.Equal(HttpStatusCode.OK, plain.Status);
        Assert.Null(plain.Deployment);
        Assert.Equal(HttpStatusCode.OK, streamed.Status);
        Assert.Null(streamed.Deployment);
    }

    [Fact]
    public async Task SessionLookup_SequentialRequests_CostMeasuredAgainstNoSession()
    {
        await using var set = await ReplicaSet.StartAsync(3);
        var pinned = $"latency-{Guid.NewGuid():N}";
        for (var i = 0; i < 20; i++)
        {
            // Warm-up: connections, JIT, the pinned session's activation.
            await TurnAsync(set, []);
            await TurnAsync(set, SessionHeaders(pinned));
        }

        var none = new List<double>();
        var existing = new List<double>();
        var fresh = new List<double>();
        for (var i = 0; i < 150; i++)
        {
            var a = await TurnAsync(set, []);
            var b = await TurnAsync(set, SessionHeaders(pinned));
            var c = await TurnAsync(set, SessionHeaders($"latency-new-{i}-{Guid.NewGuid():N}"));
            Assert.Null(a.Deployment);
            Assert.NotNull(b.Deployment);
            Assert.NotNull(c.Deployment);
            none.Add(a.Elapsed.TotalMilliseconds);
            existing.Add(b.Elapsed.TotalMilliseconds);
            fresh.Add(c.Elapsed.TotalMilliseconds);
        }

        output.WriteLine($"no session:       p50 {Percentile(none, 50):0.00} ms, p90 {Percentile(none, 90):0.00} ms");
        output.WriteLine($"pinned session:   p50 {Percentile(existing, 50):0.00} ms, p90 {Percentile(existing, 90):0.00} ms");
        output.WriteLine($"new session:      p50 {Percentile(fresh, 50):0.00} ms, p90 {Percentile(fresh, 90):0.00} ms");
        output.WriteLine($"session lookup cost (p50): pinned {Percentile(existing, 50) - Percentile(none, 50):0.00} ms, new {Percentile(fresh, 50) - Percentile(none, 50):0.00} ms");

        // Generous: one grain call on the same silo costs well under a millisecond; this only catches a lookup gone badly wrong.
        Assert.True(Percentile(existing, 50) - Percentile(none, 50) < 20, "the session lookup adds more than 20 ms");
    }

    private static KeyValuePair<string, string>[] SessionHeaders(string id) => [new(SessionHeader, id)];

    private static async Task<JsonObject> SessionAsync(ReplicaSet set, string id, int requests)
    {
        // Usage reaches the session one-way, with the front-end's next send (SessionUsageTally.Period).
        return await Eventually.ValueAsync(
            () => set.AdminGetAsync($"/admin/sessions/{id}?tenant=default"),
            info => info["requests"]!.GetValue<int>() >= requests,
            $"the session to count {requests} request(s)",
            TimeSpan.FromSeconds(15),
            TimeSpan.FromMilliseconds(20));
    }

    /// <summary>One request; the replica that served it by its <c>system_fingerprint</c>, streamed or not.</summary>
    private static async Task<Turn> TurnAsync(ReplicaSet set, KeyValuePair<string, string>[] headers, JsonObject? body = null)
    {
        var started = Stopwatch.StartNew();
        using var response = await set.PostChatAsync(body, headers);
        var text = await response.Content.ReadAsStringAsync();
        var elapsed = started.Elapsed;
        var deployment = response.Headers.TryGetValues(DeploymentHeader, out var values) ? values.Single() : null;
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return new Turn(response.StatusCode, text, deployment, elapsed);
        }

        var json = text.StartsWith("data: ", StringComparison.Ordinal) ? text["data: ".Length..text.IndexOf('\n')] : text;
        return new Turn(response.StatusCode, JsonNode.Parse(json)!["system_fingerprint"]!.GetValue<string>(), deployment, elapsed);
    }

    private static double Percentile(List<double> values, int percentile)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, sorted.Length * percentile / 100)];
    }

    /// <summary>What a turn showed the client: status, the replica that answered (or the error body), and the header.</summary>
    private sealed record Turn(HttpStatusCode Status, string Replica, string? Deployment, TimeSpan Elapsed);
}
