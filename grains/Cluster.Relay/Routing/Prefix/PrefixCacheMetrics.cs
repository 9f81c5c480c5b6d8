using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Cluster.Relay.Routing.Prefix;

/// <summary>
/// The backends' prefix-cache hits as they report them (<c>usage.prompt_tokens_details.cached_tokens</c>),
/// per model and deployment: hit rate = <c>cluster_prefix_cache_cached_tokens_total</c> /
/// <c>cluster_prefix_cache_prompt_tokens_total</c>. Only responses whose usage says how much was
/// cached are counted, so a backend that never reports adds nothing rather than zeros. Also how
/// the prefix-aware strategy placed requests: on the prefix's home (<c>home</c>), on another
/// deployment believed to hold a longer prefix of the prompt (<c>cached</c>), elsewhere because the home
/// is over its share of the load (<c>spilled</c>), or with every deployment over it (<c>saturated</c>).
/// </summary>
internal static class PrefixCacheMetrics
{
    public const string MeterName = "Cluster.Routing";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> PromptTokens = Meter.CreateCounter<long>("cluster.prefix_cache.prompt_tokens", "{token}", "Prompt tokens of responses whose backend reported its cached tokens.");
    private static readonly Counter<long> CachedTokens = Meter.CreateCounter<long>("cluster.prefix_cache.cached_tokens", "{token}", "Prompt tokens the backend reported served from its prefix cache.");
    private static readonly Counter<long> Placements = Meter.CreateCounter<long>("cluster.routing.prefix_placements", "{request}", "Requests the prefix-aware strategy placed, by why.");

    public static void RecordUsage(string model, string deployment, int promptTokens, int cachedTokens)
    {
        var tags = new TagList { { "gen_ai.request.model", model }, { "deployment", deployment } };
        PromptTokens.Add(promptTokens, tags);
        CachedTokens.Add(cachedTokens, tags);
    }

    public static void RecordPlacement(string model, string decision) =>
        Placements.Add(1, new TagList { { "gen_ai.request.model", model }, { "decision", decision } });
}
