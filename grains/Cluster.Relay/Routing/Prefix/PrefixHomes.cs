using System.Collections.Concurrent;
using Cluster.Grains.Runtime;
using Microsoft.Extensions.Logging;

namespace Cluster.Relay.Routing.Prefix;

/// <summary>
/// This front-end's cached view of each model's prefix homes, decided by the model's
/// <see cref="IPrefixHomesGrain"/> (bounded-load consistent hashing, the same answer for every
/// front-end). The first request of a prefix this front-end has not seen asks the grain, waiting at
/// most <c>Routing:SessionLookupTimeoutMs</c>; concurrent ones share the call. While the grain cannot
/// answer, the prefix's first rendezvous candidate stands in (the same on every front-end), and the
/// next report proposes it. About once a second (<see cref="ReportAsync"/>) the requests per home
/// are reported, which weighs the homes' load and lets a new activation of the grain learn its homes
/// back (every <see cref="FullReportPeriod"/> the homes unused since the last report are reported
/// too, so a home idle while the grain moved is learnt back as well); the grain's answer corrects any
/// home that differs.
/// </summary>
internal sealed partial class PrefixHomes(IGrainFactory grains, RoutingOptions options, TimeProvider time, ILogger logger)
{
    /// <summary>At most this many homes per report and model: the busiest.</summary>
    internal const int MaxReport = 4_096;

    /// <summary>A home unused this long is forgotten here (the grain forgets it after as long).</summary>
    internal static readonly TimeSpan Expiry = TimeSpan.FromMinutes(30);

    /// <summary>How often a report carries every home this front-end holds, used lately or not.</summary>
    internal static readonly TimeSpan FullReportPeriod = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<ulong, Home>> _models = new(StringComparer.Ordinal);
    private long _fullReportAt = time.GetTimestamp();

    /// <summary>The prefix's home as this front-end knows it; null when not known (yet).</summary>
    public string? HomeOf(string model, ulong anchor) =>
        _models.TryGetValue(model, out var homes) && homes.TryGetValue(anchor, out var home) ? home.Deployment : null;

    /// <summary>Makes sure the prefix's home is known before the request is ranked (see the class summary).</summary>
    public async ValueTask EnsureAsync(ModelDefinition model, ulong anchor, CancellationToken cancellationToken)
    {
        var homes = _models.GetOrAdd(model.Name, static _ => new ConcurrentDictionary<ulong, Home>());
        if (homes.TryGetValue(anchor, out var known) && known.Deployment is not null)
        {
            return;
        }

        var home = known ?? homes.GetOrAdd(anchor, static _ => new Home());
        Task placing;
        lock (home)
        {
            if (home.Deployment is not null)
            {
                return;
            }

            placing = home.Placing ??= PlaceAsync(model, anchor, home);
        }

        try
        {
            await placing.WaitAsync(options.SessionLookupTimeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Ranked by rendezvous alone this time; the call carries on and fills the view.
            LogPlacementSlow(logger, model.Name);
        }
    }

    /// <summary>A request of the prefix was sent: counts toward its home's load in the next report.</summary>
    public void Count(string model, ulong anchor)
    {
        if (_models.TryGetValue(model, out var homes) && homes.TryGetValue(anchor, out var home))
        {
            Interlocked.Increment(ref home.Requests);
            home.LastUsed = time.GetTimestamp();
        }
    }

    /// <summary>Reports each model's homes used since the last report (and the unconfirmed ones, and now and then all); applies the grain's corrections; forgets homes long unused.</summary>
    public async Task ReportAsync()
    {
        var now = time.GetTimestamp();
        var full = time.GetElapsedTime(_fullReportAt, now) >= FullReportPeriod;
        if (full)
        {
            _fullReportAt = now;
        }

        foreach (var (model, homes) in _models)
        {
            var uses = new List<(ulong Anchor, Home Home, int Requests)>();
            foreach (var (anchor, home) in homes)
            {
                if (home.Deployment is not { } deployment)
                {
                    continue;
                }

                if (time.GetElapsedTime(home.LastUsed, now) > Expiry)
                {
                    homes.TryRemove(anchor, out _);
                    continue;
                }

                var requests = Interlocked.Exchange(ref home.Requests, 0);
                if (requests > 0 || !home.Confirmed || full)
                {
                    uses.Add((anchor, home, requests));
                }
            }

            if (uses.Count == 0)
            {
                continue;
            }

            var sent = uses.OrderByDescending(u => u.Requests).Take(MaxReport).ToArray();
            try
            {
                var corrections = await grains.Get<IPrefixHomesGrain>(model)
                    .ReportAsync([.. sent.Select(u => new PrefixHomeUse(u.Anchor, u.Home.Deployment!, u.Requests))]).ConfigureAwait(false);
                foreach (var (_, home, _) in sent)
                {
                    home.Confirmed = true;
                }

                foreach (var correction in corrections)
                {
                    if (homes.TryGetValue(correction.Anchor, out var home))
                    {
                        home.Deployment = correction.Home;
                    }
                }
            }
            catch (Exception ex)
            {
                LogReportFailed(logger, ex, model);
            }
        }
    }

    private async Task PlaceAsync(ModelDefinition model, ulong anchor, Home home)
    {
        var order = Rendezvous.Order(anchor, model.Deployments);
        try
        {
            var candidates = new PrefixHomeCandidates([.. order.Select(d => d.Id)], [.. order.Select(d => d.Weight)], options.PrefixHomeSlackPercent / 100.0);
            home.Deployment = await grains.Get<IPrefixHomesGrain>(model.Name).PlaceAsync(anchor, candidates).ConfigureAwait(false);
            home.Confirmed = true;
        }
        catch (Exception ex)
        {
            // The first rendezvous candidate stands in, and the next report proposes it to the grain.
            LogPlacementFailed(logger, ex, model.Name);
            home.Deployment = order[0].Id;
        }
        finally
        {
            home.LastUsed = time.GetTimestamp();
        }
    }

    [LoggerMessage(62, LogLevel.Debug, "The prefix homes of model {Model} did not answer in time; ranked by rendezvous hashing")]
    private static partial void LogPlacementSlow(ILogger logger, string model);

    [LoggerMessage(63, LogLevel.Warning, "Placing a prefix of model {Model} failed; its rendezvous home stands in")]
    private static partial void LogPlacementFailed(ILogger logger, Exception exception, string model);

    [LoggerMessage(64, LogLevel.Warning, "Reporting the prefix homes of model {Model} failed")]
    private static partial void LogReportFailed(ILogger logger, Exception exception, string model);

    /// <summary>One prefix's home in the view; <see cref="Deployment"/> is null until placed.</summary>
    private sealed class Home
    {
        public int Requests;

        public volatile string? Deployment;

        public volatile bool Confirmed;

        public Task? Placing;

        public long LastUsed;
    }
}
