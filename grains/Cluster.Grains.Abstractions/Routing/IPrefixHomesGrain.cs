namespace Cluster.Grains.Routing;

/// <summary>
/// The one authority on where a model's prompt prefixes live (key: model name), for the
/// <c>prefix-aware</c> strategy. A prefix is named by its anchor (the hash of a prompt's leading
/// blocks); its home is the deployment that gets it while nobody is known to cache it. A new prefix
/// goes to the first deployment in its rendezvous order whose share of the homes, weighed by their
/// recent requests, stays under the bounded-load cap, so homes spread evenly and every front-end
/// reads the same answer. Front-ends cache the answers and report the requests of the homes they
/// used about once a second; a fresh activation (after a silo died) learns its homes back from
/// those reports.
/// </summary>
[Alias("Cluster.IPrefixHomesGrain")]
public interface IPrefixHomesGrain : IGrainWithStringKey
{
    /// <summary>The prefix's home: the one it has, or a new one chosen among <paramref name="candidates"/>.</summary>
    [Alias("Place")]
    Task<string> PlaceAsync(ulong anchor, PrefixHomeCandidates candidates);

    /// <summary>
    /// What a front-end routed since its last report. Homes the grain does not know are adopted as
    /// reported; returns the homes the grain holds that differ from what was reported.
    /// </summary>
    [Alias("Report")]
    Task<PrefixHomeUse[]> ReportAsync(PrefixHomeUse[] uses);
}
