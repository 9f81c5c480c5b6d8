using System.Collections.Concurrent;
using Cluster.Grains.Runtime;
using Cluster.Grains.Sessions;

namespace Cluster.Relay.Accounting;

/// <summary>
/// The session totals (requests, tokens) of this front-end's requests, sent to each session's
/// grain once every <see cref="Period"/> instead of once per request: a session's busy minute costs
/// its grain a call per period, and a request no grain call at all for it. The totals are
/// informational (the ledger is the record that must not be lost), so a front-end that dies loses
/// at most its last period of them; one that stops sends what it holds.
/// </summary>
internal sealed class SessionUsageTally : IDisposable
{
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(500);

    private readonly ConcurrentDictionary<string, Totals> _pending = new(StringComparer.Ordinal);
    private readonly IGrainFactory _grains;
    private readonly ITimer _timer;

    public SessionUsageTally(IGrainFactory grains, TimeProvider time)
    {
        _grains = grains;
        _timer = time.CreateTimer(_ => Send(), null, Period, Period);
    }

    /// <summary>Counts one request of the session with grain key <paramref name="sessionKey"/>.</summary>
    public void Add(string sessionKey, TokenUsage usage)
    {
        while (true)
        {
            var totals = _pending.GetOrAdd(sessionKey, static _ => new Totals());
            lock (totals)
            {
                // Retired by a send that found it idle and removed it: count in a fresh one.
                if (totals.Retired)
                {
                    continue;
                }

                totals.Requests++;
                totals.PromptTokens += usage.PromptTokens;
                totals.CompletionTokens += usage.CompletionTokens;
                return;
            }
        }
    }

    /// <summary>Sends every session's totals gathered since the last send (one-way calls); forgets sessions idle for a whole period.</summary>
    public void Send()
    {
        foreach (var (key, totals) in _pending)
        {
            SessionUsage due;
            lock (totals)
            {
                if (totals.Requests == 0)
                {
                    totals.Retired = true;
                    _pending.TryRemove(new KeyValuePair<string, Totals>(key, totals));
                    continue;
                }

                due = new SessionUsage(totals.Requests, totals.PromptTokens, totals.CompletionTokens);
                totals.Requests = 0;
                totals.PromptTokens = 0;
                totals.CompletionTokens = 0;
            }

            try
            {
                _ = _grains.Get<ISessionGrain>(key).AddUsagesAsync(due);
            }
            catch (Exception)
            {
                // Informational totals: a cluster that cannot take the call loses them, nothing else.
            }
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        Send();
    }

    private sealed class Totals
    {
        public int Requests;
        public long PromptTokens;
        public long CompletionTokens;
        public bool Retired;
    }
}
