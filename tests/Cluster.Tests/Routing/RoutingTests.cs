using System.ClientModel;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Cluster.Grains.Routing;
using Cluster.Tests.Support;
using OpenAI.Chat;
using Xunit.Abstractions;

namespace Cluster.Tests.Routing;

/// <summary>
/// Routing and failover through the real gateway in front of three fake replicas of one model:
/// how load spreads, and what a caller sees when a replica fails, hangs, is throttled or breaks
/// mid-stream. Cooldowns and timeouts are configured short so nothing waits the defaults.
/// </summary>
public sealed class RoutingTests(ITestOutputHelper output)
{
    /// <summary>Short enough for a test, long enough that a burst of requests finishes inside it.</summary>
    private const int CooldownSeconds = 2;

    private static readonly object FastRouting = new
    {
        FailureThreshold = 3,
        FailureWindowSeconds = 30,
        CooldownSeconds,
        RetryBackoffMs = 5,
        StatusSyncMilliseconds = 100,
    };

    [Fact]
    public async Task LeastInflight_SixtyOverlappingRequests_EveryReplicaGetsAFairShare()
    {
        await using var set = await ReplicaSet.StartAsync(3, "least-inflight", FastRouting);
        foreach (var replica in set.Replicas)
        {
            replica.Delay = TimeSpan.FromMilliseconds(300);
        }

        var chat = set.Chat();
        var served = await Task.WhenAll(Enumerable.Range(0, 60).Select(async i =>
        {
            ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage($"request {i}")]);
            return completion.SystemFingerprint;
        }));

        var shares = served.GroupBy(name => name).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine("least-inflight, 60 concurrent: " + string.Join(", ", shares.OrderBy(s => s.Key).Select(s => $"{s.Key}={s.Value}")));
        foreach (var replica in set.Replicas)
        {
            Assert.True(shares.GetValueOrDefault(replica.Name) >= 12, $"{replica.Name} served {shares.GetValueOrDefault(replica.Name)} of 60 (under 20%).");
            Assert.Equal(shares[replica.Name], replica.RequestCount);
        }
    }

    [Fact]
    public async Task RoundRobin_SequentialRequests_ReplicasTakeTurns()
    {
        await using var set = await ReplicaSet.StartAsync(3, "round-robin", FastRouting);
        var chat = set.Chat();

        var served = new List<string>();
        for (var i = 0; i < 9; i++)
        {
            ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage($"turn {i}")]);
            served.Add(completion.SystemFingerprint);
        }

        output.WriteLine("round-robin: " + string.Join(" ", served));
        Assert.Equal(3, served.Take(3).Distinct().Count());
        for (var i = 3; i < served.Count; i++)
        {
            Assert.Equal(served[i - 3], served[i]);
        }
    }

    [Fact]
    public async Task FailingReplica_Answers500_NoClientErrorsCooldownThenBackAfterHealing()
    {
        // Round robin: every third request starts on the failing replica, so it is tried for sure.
        await using var set = await ReplicaSet.StartAsync(3, "round-robin", FastRouting);
        var failing = set.Replicas[1];
        failing.FailWithStatus = 500;
        var chat = set.Chat();

        // Until the threshold: each failure is retried on a healthy replica, invisibly.
        for (var i = 0; i < 12; i++)
        {
            ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage($"request {i}")]);
            Assert.NotEqual(failing.Name, completion.SystemFingerprint);
        }

        // The status grain's own end of the cooldown, not a stopwatch started after the circuit
        // opened (the requests after the opening failure ran first: on a busy machine, a second).
        var status = await set.StatusAsync(1);
        Assert.Equal(CircuitState.Open, status.State);
        var cooldownUntil = Assert.NotNull(status.CooldownUntil);
        var triedWhileClosed = failing.RequestCount;
        output.WriteLine($"failing replica tried {triedWhileClosed} times before its circuit opened");
        Assert.InRange(triedWhileClosed, 3, 4);

        // Healed, but still cooling down: it gets nothing.
        failing.FailWithStatus = null;
        for (var i = 0; i < 6; i++)
        {
            await chat.CompleteChatAsync([new UserChatMessage($"cooling {i}")]);
        }

        Assert.True(DateTimeOffset.UtcNow < cooldownUntil, "the cooldown ended before the check; the machine is too slow for this test's timing");
        Assert.Equal(triedWhileClosed, failing.RequestCount);

        // After the cooldown one probe goes through, succeeds, and the circuit closes.
        await Eventually.UntilAsync(
            async () =>
            {
                if ((await set.StatusAsync(1)).State == CircuitState.Closed)
                {
                    return true;
                }

                await chat.CompleteChatAsync([new UserChatMessage("probing")]);
                return false;
            },
            "the healed replica to come back",
            TimeSpan.FromSeconds(CooldownSeconds + 8));

        var closedAt = DateTimeOffset.UtcNow;
        output.WriteLine($"back in service {(closedAt - cooldownUntil).TotalSeconds:0.00} s after the cooldown ended (cooldown {CooldownSeconds} s)");
        Assert.True(closedAt >= cooldownUntil, $"closed again {(cooldownUntil - closedAt).TotalMilliseconds:0} ms before the cooldown ended");
        var before = failing.RequestCount;
        for (var i = 0; i < 6; i++)
        {
            await chat.CompleteChatAsync([new UserChatMessage($"healed {i}")]);
        }

        Assert.Equal(before + 2, failing.RequestCount);
    }

    [Fact]
    public async Task UnreachableReplica_ConnectionRefused_NoClientErrors()
    {
        await using var set = await ReplicaSet.StartAsync(3, "round-robin", FastRouting);
        await set.KillAsync(0);
        var chat = set.Chat();

        for (var i = 0; i < 9; i++)
        {
            ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage($"request {i}")]);
            Assert.NotEqual(set.Replicas[0].Name, completion.SystemFingerprint);
        }

        Assert.Equal(CircuitState.Open, (await set.StatusAsync(0)).State);
    }

    [Fact]
    public async Task HangingReplica_StreamingRequest_CutByFirstTokenTimeoutAndServedElsewhere()
    {
        // The hanging replica weighs 100: least-inflight always tries it first.
        await using var set = await ReplicaSet.StartAsync(3, "least-inflight", FastRouting, (i, d) =>
        {
            d["FirstTokenTimeoutSeconds"] = 1.0;
            d["Weight"] = i == 0 ? 100 : 1;
        });
        var hanging = set.Replicas[0];
        hanging.Hang = true;
        var disconnected = new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously);
        hanging.ClientDisconnected += at => disconnected.TrySetResult(at);

        var started = Stopwatch.StartNew();
        var text = new StringBuilder();
        string? servedBy = null;
        await foreach (var update in set.Chat().CompleteChatStreamingAsync([new UserChatMessage("are you there?")]))
        {
            servedBy ??= update.SystemFingerprint;
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
        }

        output.WriteLine($"served by {servedBy} after {started.Elapsed.TotalMilliseconds:0} ms");
        Assert.NotNull(servedBy);
        Assert.NotEqual(hanging.Name, servedBy);
        Assert.Equal($"{servedBy} part0 {servedBy} part1 {servedBy} part2 ", text.ToString());
        Assert.Equal(1, hanging.RequestCount);
        // Cut by the 1 s first-token timeout, not the total timeout (minutes): the upper bound leaves a
        // busy machine room and still tells the two apart.
        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

        // The gateway hung up on the hanging replica rather than leaving the call open.
        await disconnected.Task.WaitAsync(TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task HangingReplica_NonStreamedRequest_CutByFirstTokenTimeoutAndServedElsewhere()
    {
        // A non-streamed request once waited out the 30-minute total timeout on a hung backend: the
        // first-token timeout now covers the whole answer of a non-streamed request too.
        await using var set = await ReplicaSet.StartAsync(2, "least-inflight", FastRouting, (i, d) =>
        {
            d["FirstTokenTimeoutSeconds"] = 1.0;
            d["Weight"] = i == 0 ? 100 : 1;
        });
        var hanging = set.Replicas[0];
        hanging.Hang = true;
        var disconnected = new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously);
        hanging.ClientDisconnected += at => disconnected.TrySetResult(at);

        var started = Stopwatch.StartNew();
        ChatCompletion completion = await set.Chat().CompleteChatAsync([new UserChatMessage("are you there?")]);

        output.WriteLine($"served by {completion.SystemFingerprint} after {started.Elapsed.TotalMilliseconds:0} ms");
        Assert.Equal(set.Replicas[1].Name, completion.SystemFingerprint);
        Assert.Equal(1, hanging.RequestCount);
        // Cut by the 1 s first-token timeout, not the total timeout (minutes): the upper bound leaves a
        // busy machine room and still tells the two apart.
        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
        await disconnected.Task.WaitAsync(TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task HangingOnlyReplica_NonStreamedRequest_504UpstreamTimeout()
    {
        await using var set = await ReplicaSet.StartAsync(1, "least-inflight", FastRouting, (_, d) => d["FirstTokenTimeoutSeconds"] = 1.0);
        set.Replicas[0].Hang = true;

        var started = Stopwatch.StartNew();
        using var response = await set.PostChatAsync();
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("upstream_timeout", body["error"]!["code"]!.GetValue<string>());
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(15), $"answered after {started.Elapsed}");
    }

    [Fact]
    public async Task IdleReplica_StallsAfterFirstChunk_ClientGetsOneTimeoutErrorEvent()
    {
        await using var set = await ReplicaSet.StartAsync(1, "least-inflight", FastRouting, (_, d) => d["IdleTimeoutSeconds"] = 0.5);
        set.Replicas[0].ChunkInterval = TimeSpan.FromSeconds(3);

        var events = await StreamEventsAsync(set);

        Assert.Equal("replica-0 part0 ", events[0]["choices"]![0]!["delta"]!["content"]!.GetValue<string>());
        var error = Assert.Single(events, e => e.ContainsKey("error"));
        Assert.Same(events[^1], error);
        Assert.Equal("upstream_timeout", error["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task ThrottledReplica_429WithRetryAfter_ServedElsewhereAndOutForThatLong()
    {
        await using var set = await ReplicaSet.StartAsync(3, "least-inflight", FastRouting, (i, d) => d["Weight"] = i == 0 ? 100 : 1);
        var throttled = set.Replicas[0];
        throttled.FailWithStatus = 429;
        throttled.RetryAfterSeconds = 3;
        var chat = set.Chat();

        var sent = DateTimeOffset.UtcNow;
        ChatCompletion first = await chat.CompleteChatAsync([new UserChatMessage("first")]);

        Assert.NotEqual(throttled.Name, first.SystemFingerprint);
        Assert.Equal(1, throttled.RequestCount);
        var status = await Eventually.ValueAsync(() => set.StatusAsync(0), s => s.State == CircuitState.Open, "the throttled replica's circuit to open", TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(20));
        var seenOpen = DateTimeOffset.UtcNow;

        // One 429 is below the failure threshold: the backend's Retry-After alone takes it out, for that
        // long, counted from when the failure was reported (between sending and seeing it open).
        Assert.NotNull(status.CooldownUntil);
        Assert.InRange(status.CooldownUntil!.Value, sent + TimeSpan.FromSeconds(2.5), seenOpen + TimeSpan.FromSeconds(3.5));
        // While it is out, nothing goes to it (up to five requests, all sent well inside the cooldown).
        var sentWhileOut = 0;
        for (var i = 0; i < 5 && DateTimeOffset.UtcNow < status.CooldownUntil.Value - TimeSpan.FromSeconds(1); i++, sentWhileOut++)
        {
            ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage($"again {i}")]);
            Assert.NotEqual(throttled.Name, completion.SystemFingerprint);
        }

        Assert.True(sentWhileOut > 0, "no request could be sent inside the cooldown");
        Assert.Equal(1, throttled.RequestCount);
    }

    [Fact]
    public async Task AllReplicasThrottled_429WithRetryAfter_ClientGets429WithRetryAfter()
    {
        await using var set = await ReplicaSet.StartAsync(3, "least-inflight", FastRouting);
        foreach (var replica in set.Replicas)
        {
            replica.FailWithStatus = 429;
            replica.RetryAfterSeconds = 7;
        }

        using var response = await set.PostChatAsync();
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("rate_limit_exceeded", JsonNode.Parse(body)!["error"]!["code"]!.GetValue<string>());
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);
        Assert.All(set.Replicas, r => Assert.Equal(1, r.RequestCount));
    }

    [Fact]
    public async Task Fallbacks_OnlyDeploymentDead_ServedByFallbackModelNamedInResponse()
    {
        var closedPort = FreePorts.Next();
        var dead = new JsonObject
        {
            ["Name"] = "primary",
            ["Fallbacks"] = new JsonArray(ReplicaSet.Model),
            ["Deployments"] = new JsonArray(new JsonObject { ["Provider"] = "openai", ["BaseUrl"] = $"http://127.0.0.1:{closedPort}/v1" }),
        };
        await using var set = await ReplicaSet.StartAsync(1, "least-inflight", FastRouting, extraModels: [dead]);

        ChatCompletion completion = await set.Chat("primary").CompleteChatAsync([new UserChatMessage("anyone?")]);

        Assert.Equal(ReplicaSet.Model, completion.Model);
        Assert.Equal(set.Replicas[0].Name, completion.SystemFingerprint);
        Assert.Equal("replica-0 part0 replica-0 part1 replica-0 part2 ", Assert.Single(completion.Content).Text);

        // Streamed the same way, every chunk under the fallback's name.
        var models = new List<string>();
        await foreach (var update in set.Chat("primary").CompleteChatStreamingAsync([new UserChatMessage("anyone, streamed?")]))
        {
            models.Add(update.Model);
        }

        Assert.NotEmpty(models);
        Assert.All(models, m => Assert.Equal(ReplicaSet.Model, m));
    }

    [Fact]
    public async Task MidStreamFailure_ReplicaDropsConnection_ClientGetsOneErrorEventAndStreamEnds()
    {
        await using var set = await ReplicaSet.StartAsync(1, "least-inflight", FastRouting);
        set.Replicas[0].Chunks = 5;
        set.Replicas[0].FailAfterChunks = 2;

        var events = await StreamEventsAsync(set);

        Assert.Equal(3, events.Count);
        Assert.Equal("replica-0 part0 ", events[0]["choices"]![0]!["delta"]!["content"]!.GetValue<string>());
        Assert.Equal("replica-0 part1 ", events[1]["choices"]![0]!["delta"]!["content"]!.GetValue<string>());
        var error = events[2]["error"]!.AsObject();
        output.WriteLine("error event: " + error.ToJsonString());
        Assert.Equal("upstream_error", error["code"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(error["message"]!.GetValue<string>()));
    }

    [Fact]
    public async Task DroppedBeforeFirstChunk_StreamingRequest_RetriedOnAnotherReplica()
    {
        await using var set = await ReplicaSet.StartAsync(2, "least-inflight", FastRouting, (i, d) => d["Weight"] = i == 0 ? 100 : 1);
        set.Replicas[0].FailAfterChunks = 0;

        var events = await StreamEventsAsync(set);

        Assert.DoesNotContain(events, e => e.ContainsKey("error"));
        Assert.Equal("replica-1", events[0]["system_fingerprint"]!.GetValue<string>());
        Assert.Equal(1, set.Replicas[0].RequestCount);
    }

    [Fact]
    public async Task DroppedMidBody_NonStreamingRequest_RetriedOnAnotherReplica()
    {
        await using var set = await ReplicaSet.StartAsync(2, "least-inflight", FastRouting, (i, d) => d["Weight"] = i == 0 ? 100 : 1);
        set.Replicas[0].FailAfterChunks = 0;

        ChatCompletion completion = await set.Chat().CompleteChatAsync([new UserChatMessage("whole answers only")]);

        Assert.Equal("replica-1", completion.SystemFingerprint);
        Assert.Equal(1, set.Replicas[0].RequestCount);
    }

    /// <summary>
    /// Streams one chat completion and returns its events. A stream that ended with an error event
    /// must end right there: no <c>[DONE]</c> after it, and nothing else.
    /// </summary>
    private static async Task<List<JsonObject>> StreamEventsAsync(ReplicaSet set)
    {
        using var response = await set.PostChatAsync(new JsonObject { ["stream"] = true });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.EndsWith("\n\n", body, StringComparison.Ordinal);
        var frames = body[..^2].Split("\n\n");
        Assert.All(frames, f => Assert.StartsWith("data: ", f, StringComparison.Ordinal));
        var data = frames.Select(f => f["data: ".Length..]).ToList();
        var events = data.TakeWhile(d => d != "[DONE]").Select(d => JsonNode.Parse(d)!.AsObject()).ToList();
        var errors = events.Count(e => e.ContainsKey("error"));
        if (errors > 0)
        {
            Assert.Equal(data.Count, events.Count);
            Assert.Equal(1, errors);
        }
        else
        {
            Assert.Equal(events.Count + 1, data.Count);
        }

        return events;
    }
}
